//! Pure domain rules (docs/DOMAIN.md): no database, no HTTP. Periods and fiscal years,
//! reporting months and due instants, scoring criteria, aggregation, expected and received
//! reports, indicator status and weighted percents.

/// A closed set of names stored as text: serde and OpenAPI as snake_case strings, `as_str` and
/// `parse` for the database.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == text)
            }
        }
    };
}

pub mod account;
pub mod activation;
pub mod assignment;
pub mod batch;
pub mod component;
pub mod criteria;
pub mod evaluation;
pub mod framework;
pub mod indicator;
pub mod organization;
pub mod period;
pub mod ranking;
pub mod round;
pub mod scoring;
pub mod snapshot;
pub mod submission;
pub mod summary;
pub mod text;
pub mod worklist;

pub use criteria::{Breakpoint, Criteria, Direction};
pub use evaluation::EvaluationStatus;
pub use framework::AssignmentRole;
pub use period::{FiscalYear, Frequency, Period};
pub use scoring::{AcrossOrgs, Category, IndicatorStatus, OverTime, ScoreBasis, SubmissionStatus};
