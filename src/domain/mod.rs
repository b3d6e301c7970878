//! Pure domain rules (DESIGN.md section 3): no database, no HTTP. Periods and fiscal years,
//! reporting months and due instants, scoring criteria, aggregation, expected and received
//! reports, indicator status and weighted percents.

pub mod criteria;
pub mod organization;
pub mod period;
pub mod scoring;

pub use criteria::{Breakpoint, Criteria, Direction};
pub use period::{FiscalYear, Frequency, Period};
pub use scoring::{AcrossOrgs, Category, IndicatorStatus, OverTime, ScoreBasis, SubmissionStatus};
