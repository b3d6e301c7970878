//! provincial-kpi: the service of record for the yearly evaluation of government agencies in
//! Thai provinces. Layers: `http` (routes, extractors, problems) → `policy` (who may do what)
//! and `domain` (pure rules) → `storage` (diesel over SQLite or PostgreSQL).

pub mod auth;
pub mod cli;
pub mod config;
pub mod demo;
pub mod domain;
pub mod error;
pub mod http;
pub mod intake;
pub mod policy;
pub mod startup;
pub mod storage;
pub mod telemetry;
