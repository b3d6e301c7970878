//! API tests: one binary, laid out by resource; every case runs on SQLite and PostgreSQL.

mod support;

mod auth;
mod contract;
mod frameworks;
mod matrix;
mod organizations;
mod problems;
mod users;
