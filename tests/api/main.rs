//! API tests: one binary, laid out by resource; every case runs on SQLite and PostgreSQL.

mod support;

mod assignments;
mod audit;
mod auth;
mod backup;
mod batch;
mod components;
mod contract;
mod demo;
mod evaluations;
mod exports;
mod fixtures;
mod framework_document;
mod generate;
mod guards;
mod import;
mod indicators;
mod matrix;
mod organizations;
mod pages;
mod problems;
mod rankings;
mod round_trips;
mod rounds;
mod security;
mod snapshots;
mod submissions;
mod summary;
mod two_instances;
mod users;
mod worklist;
