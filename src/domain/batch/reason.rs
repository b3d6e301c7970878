//! Why a batch item is rejected, and in which language a person reads it: each `Reason` names
//! its field and has an English and a Thai message (docs/DOMAIN.md, "Batch intake").

use super::FIELDS;
use crate::error::FieldError;

/// The language of the messages a person reads (`Accept-Language: th`, `--lang th`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Lang {
    #[default]
    English,
    Thai,
}

impl Lang {
    /// Thai when the first language of an `Accept-Language` header (or a locale such as
    /// `th_TH.UTF-8`) is Thai; English otherwise.
    pub fn from_preference(preference: &str) -> Self {
        let first = preference
            .split(',')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if first == "th" || first.starts_with("th-") || first.starts_with("th_") {
            Lang::Thai
        } else {
            Lang::English
        }
    }
}

/// Why an item is rejected: each names its field and reads in English or Thai.
#[derive(Debug, Clone, PartialEq)]
pub enum Reason {
    UnknownField(String),
    Missing(&'static str),
    NotText(&'static str),
    NotUtf8(&'static str),
    RowShape {
        cells: usize,
        columns: usize,
    },
    TooLong(&'static str, usize),
    ForbiddenCharacter(&'static str, String),
    BadPeriod(String),
    NotANumber(String),
    BadValue(f64),
    BadStatus(String),
    BadInstant(String),
    BackfillNotAllowed,
    DraftWithSubmittedAt,
    UnknownIndicator(String),
    UnknownOrganization(String),
    OutOfScope(String),
    /// A rule of a single report (`domain::submission::placement_problems`): span, reporting
    /// month, assignment. Its English message is the single report's; `thai` is its Thai.
    Placement {
        field: String,
        english: String,
        thai: String,
    },
    DuplicateInBatch {
        first_index: usize,
    },
    ApprovedDiffers,
    WithdrawSubmitted,
    SubmittedAwaitsReview,
    FutureSubmission,
}

impl Reason {
    pub fn field(&self) -> String {
        match self {
            Reason::UnknownField(name) => name.clone(),
            Reason::RowShape { .. } => "row".into(),
            Reason::Missing(field)
            | Reason::NotText(field)
            | Reason::NotUtf8(field)
            | Reason::TooLong(field, _)
            | Reason::ForbiddenCharacter(field, _) => (*field).to_owned(),
            Reason::BadPeriod(_) | Reason::DuplicateInBatch { .. } => "period".into(),
            Reason::NotANumber(_) | Reason::BadValue(_) | Reason::ApprovedDiffers => "value".into(),
            Reason::BadStatus(_) | Reason::WithdrawSubmitted => "status".into(),
            Reason::SubmittedAwaitsReview => "value".into(),
            Reason::BadInstant(_)
            | Reason::BackfillNotAllowed
            | Reason::DraftWithSubmittedAt
            | Reason::FutureSubmission => "submitted_at".into(),
            Reason::UnknownIndicator(_) => "indicator_code".into(),
            Reason::UnknownOrganization(_) | Reason::OutOfScope(_) => "organization_code".into(),
            Reason::Placement { field, .. } => field.clone(),
        }
    }

    pub fn message(&self, lang: Lang) -> String {
        let th = lang == Lang::Thai;
        match self {
            Reason::UnknownField(_) if th => format!("ไม่รู้จักคอลัมน์นี้ ใช้ได้เฉพาะ {}", FIELDS.join(", ")),
            Reason::UnknownField(_) => format!("unknown field; the fields are {}", FIELDS.join(", ")),
            Reason::Missing(_) if th => "ต้องระบุ".into(),
            Reason::Missing(_) => "is required".into(),
            Reason::NotText(_) if th => "ต้องเป็นข้อความ".into(),
            Reason::NotText(_) => "must be a string".into(),
            Reason::NotUtf8(_) if th => "ไม่ใช่ข้อความ UTF-8 (บันทึกไฟล์เป็น CSV UTF-8)".into(),
            Reason::NotUtf8(_) => "is not UTF-8 text (save the file as CSV UTF-8)".into(),
            Reason::RowShape { cells, columns } if th => {
                format!("แถวนี้มี {cells} ช่อง แต่หัวตารางมี {columns} คอลัมน์")
            }
            Reason::RowShape { cells, columns } => {
                format!("the row has {cells} cells, the header {columns} columns")
            }
            Reason::TooLong(_, max) if th => format!("ยาวได้ไม่เกิน {max} ตัวอักษร"),
            Reason::TooLong(_, max) => format!("must be at most {max} characters"),
            Reason::ForbiddenCharacter(_, english) if th => {
                format!("มีอักขระควบคุมที่ไม่อนุญาต ({english})")
            }
            Reason::ForbiddenCharacter(_, english) => english.clone(),
            Reason::BadPeriod(text) if th => {
                format!("`{text}` ไม่ใช่เดือนในรูปแบบ YYYY-MM (ค.ศ.) เช่น 2022-01")
            }
            Reason::BadPeriod(text) => format!("`{text}` must be a month written YYYY-MM, e.g. 2022-01"),
            Reason::NotANumber(text) if th => format!("`{text}` ไม่ใช่ตัวเลข"),
            Reason::NotANumber(text) => format!("`{text}` is not a number"),
            Reason::BadValue(_) if th => "ต้องเป็นตัวเลขจำกัดค่า ขนาดไม่เกิน 1e15".into(),
            Reason::BadValue(_) => "must be a finite number no larger than 1e15".into(),
            Reason::BadStatus(text) if th => {
                format!("`{text}` ใช้ไม่ได้ สถานะต้องเป็น submitted (ค่าเริ่มต้น) หรือ draft")
            }
            Reason::BadStatus(text) => {
                format!("`{text}` is not a status here: submitted (the default) or draft")
            }
            Reason::BadInstant(text) if th => format!(
                "`{text}` ไม่ใช่เวลาแบบ RFC 3339 เช่น 2022-02-01T09:30:00+07:00"
            ),
            Reason::BadInstant(text) => format!(
                "`{text}` must be an RFC 3339 instant such as 2022-02-01T09:30:00+07:00"
            ),
            Reason::BackfillNotAllowed if th => {
                "เฉพาะบัญชีผู้ดูแลระบบและระบบเชื่อมโยงข้อมูลเท่านั้นที่ระบุวันส่งย้อนหลังได้".into()
            }
            Reason::BackfillNotAllowed => {
                "only admin and integration accounts backfill submitted_at".into()
            }
            Reason::DraftWithSubmittedAt if th => "ร่างที่ยังไม่ส่งไม่มีวันส่ง".into(),
            Reason::DraftWithSubmittedAt => "a draft has not been submitted: leave submitted_at empty".into(),
            Reason::UnknownIndicator(code) if th => format!("ไม่พบตัวชี้วัดรหัส {code} ในการประเมินนี้"),
            Reason::UnknownIndicator(code) => format!("no indicator {code} in this evaluation"),
            Reason::UnknownOrganization(code) if th => format!("ไม่พบหน่วยงานรหัส {code}"),
            Reason::UnknownOrganization(code) => format!("no organization {code}"),
            Reason::OutOfScope(code) if th => format!("ไม่มีสิทธิ์ส่งผลแทนหน่วยงาน {code}"),
            Reason::OutOfScope(code) => {
                format!("organization {code} is outside what this account reports for")
            }
            Reason::Placement { thai, .. } if th => thai.clone(),
            Reason::Placement { english, .. } => english.clone(),
            Reason::DuplicateInBatch { first_index } if th => format!(
                "ซ้ำกับรายการที่ {first_index}: ตัวชี้วัด หน่วยงาน และเดือนเดียวกันส่งได้ครั้งเดียวต่อชุด"
            ),
            Reason::DuplicateInBatch { first_index } => format!(
                "repeats item {first_index}: one item per indicator, organization and month in a batch"
            ),
            Reason::ApprovedDiffers if th => {
                "รายงานนี้ได้รับอนุมัติแล้วและล็อกไว้ ขอให้ผู้ดูแลระดับจังหวัดตีกลับก่อนแก้ไข".into()
            }
            Reason::ApprovedDiffers => {
                "the report is approved and locked with other figures; a province admin returns it before it changes".into()
            }
            Reason::SubmittedAwaitsReview if th => {
                "รายงานส่งแล้วและรอการตรวจ แก้ไขได้เมื่อผู้กำกับตีกลับ".into()
            }
            Reason::SubmittedAwaitsReview => {
                "the report is submitted and waits for review: it can be changed once it is returned".into()
            }
            Reason::FutureSubmission if th => "วันส่งย้อนหลังต้องไม่อยู่ในอนาคต".into(),
            Reason::FutureSubmission => "a backfilled submission cannot be in the future".into(),
            Reason::WithdrawSubmitted if th => {
                "รายงานส่งแล้ว ถอนกลับเป็นร่างไม่ได้ (ผู้กำกับตีกลับได้)".into()
            }
            Reason::WithdrawSubmitted => {
                "the report is submitted: it cannot go back to draft (a reviewer returns it)".into()
            }
        }
    }

    pub fn to_field_error(&self, lang: Lang) -> FieldError {
        FieldError::new(self.field(), self.message(lang))
    }
}
