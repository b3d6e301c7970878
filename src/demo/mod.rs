//! Demo data from the seed documents: Yasothon (TH-35) and the agencies its FY 2565
//! framework names (seed 002), its districts, a regional unit with no province (the rice
//! research centre in Roi Et), a neighbouring province to show scopes, one account per role,
//! the 6-month and 12-month rounds (`rounds`) and a year of reports up to `DEMO_AS_OF`
//! (`reports`).

mod framework;
mod reports;
mod rounds;

pub use framework::{framework_document, seed_framework, ENERGY_BASELINES};
pub use reports::{demo_as_of, seed_reports, ALWAYS_ON_TIME, CHRONICALLY_LATE, DEMO_AS_OF};
pub use rounds::{seed_rounds, ROUNDS};

use crate::auth::passwords;
use crate::domain::account::{self, AccountSpec};
use crate::domain::organization::OrganizationKind;
use crate::domain::organization::OrganizationSpec;
use crate::error::{Error, Result};
use crate::policy::{Caller, Role};
use crate::storage::audit::Actor;
use crate::storage::organizations;
use crate::storage::schema::organizations as organizations_table;
use crate::storage::users::{self, UserFields};
use crate::storage::DbConnection;
use diesel::prelude::*;

/// The password of every demo account (printed at start; demo data only).
pub const DEMO_PASSWORD: &str = "demo-password-2565";

/// (code, Thai name, English name, kind, parent code)
pub const ORGANIZATIONS: &[(&str, &str, &str, OrganizationKind, Option<&str>)] = &[
    (
        "TH",
        "ประเทศไทย",
        "Thailand",
        OrganizationKind::Country,
        None,
    ),
    (
        "TH-35",
        "จังหวัดยโสธร",
        "Yasothon",
        OrganizationKind::Province,
        Some("TH"),
    ),
    (
        "YST-PO",
        "สำนักงานจังหวัดยโสธร",
        "Yasothon Provincial Office",
        OrganizationKind::Agency,
        Some("TH-35"),
    ),
    (
        "YST-PO-DD",
        "ศูนย์ดำรงธรรมจังหวัดยโสธร (กลุ่มงานศูนย์ดำรงธรรมจังหวัด สำนักงานจังหวัดยโสธร)",
        "Yasothon Damrongdhama Centre, Provincial Office",
        OrganizationKind::Agency,
        Some("YST-PO"),
    ),
    (
        "YST-PO-HR",
        "กลุ่มงานบริหารทรัพยากรบุคคล สำนักงานจังหวัดยโสธร",
        "Human Resources Group, Yasothon Provincial Office",
        OrganizationKind::Agency,
        Some("YST-PO"),
    ),
    (
        "YST-AGRI",
        "สำนักงานเกษตรจังหวัดยโสธร",
        "Yasothon Provincial Agricultural Extension Office",
        OrganizationKind::Agency,
        Some("TH-35"),
    ),
    (
        "YST-PHO",
        "สำนักงานสาธารณสุขจังหวัดยโสธร",
        "Yasothon Provincial Public Health Office",
        OrganizationKind::Agency,
        Some("TH-35"),
    ),
    (
        "YST-SSO",
        "สำนักงานประกันสังคมจังหวัดยโสธร",
        "Yasothon Provincial Social Security Office",
        OrganizationKind::Agency,
        Some("TH-35"),
    ),
    (
        "YST-DLA",
        "สำนักงานส่งเสริมการปกครองท้องถิ่นจังหวัดยโสธร",
        "Yasothon Provincial Office of Local Administration",
        OrganizationKind::Agency,
        Some("TH-35"),
    ),
    (
        "YST-NRE",
        "สำนักงานทรัพยากรธรรมชาติและสิ่งแวดล้อมจังหวัดยโสธร",
        "Yasothon Provincial Natural Resources and Environment Office",
        OrganizationKind::Agency,
        Some("TH-35"),
    ),
    (
        "YST-PEO",
        "สำนักงานพลังงานจังหวัดยโสธร",
        "Yasothon Provincial Energy Office",
        OrganizationKind::Agency,
        Some("TH-35"),
    ),
    (
        "YST-D01",
        "อำเภอเมืองยโสธร",
        "Mueang Yasothon District",
        OrganizationKind::District,
        Some("TH-35"),
    ),
    (
        "YST-D02",
        "อำเภอทรายมูล",
        "Sai Mun District",
        OrganizationKind::District,
        Some("TH-35"),
    ),
    (
        "YST-D03",
        "อำเภอกุดชุม",
        "Kut Chum District",
        OrganizationKind::District,
        Some("TH-35"),
    ),
    (
        "YST-D04",
        "อำเภอคำเขื่อนแก้ว",
        "Kham Khuean Kaeo District",
        OrganizationKind::District,
        Some("TH-35"),
    ),
    (
        "YST-D05",
        "อำเภอป่าติ้ว",
        "Pa Tio District",
        OrganizationKind::District,
        Some("TH-35"),
    ),
    (
        "YST-D06",
        "อำเภอมหาชนะชัย",
        "Maha Chana Chai District",
        OrganizationKind::District,
        Some("TH-35"),
    ),
    (
        "YST-D07",
        "อำเภอค้อวัง",
        "Kho Wang District",
        OrganizationKind::District,
        Some("TH-35"),
    ),
    (
        "YST-D08",
        "อำเภอเลิงนกทา",
        "Loeng Nok Tha District",
        OrganizationKind::District,
        Some("TH-35"),
    ),
    (
        "YST-D09",
        "อำเภอไทยเจริญ",
        "Thai Charoen District",
        OrganizationKind::District,
        Some("TH-35"),
    ),
    (
        "RD-RET",
        "ศูนย์วิจัยข้าวร้อยเอ็ด",
        "Roi Et Rice Research Center",
        OrganizationKind::Agency,
        None,
    ),
    (
        "TH-11",
        "จังหวัดสมุทรปราการ",
        "Samut Prakan",
        OrganizationKind::Province,
        Some("TH"),
    ),
    (
        "SPK-PO",
        "สำนักงานจังหวัดสมุทรปราการ",
        "Samut Prakan Provincial Office",
        OrganizationKind::Agency,
        Some("TH-11"),
    ),
];

/// (username, display name, role, organization code)
pub const ACCOUNTS: &[(&str, &str, Role, Option<&str>)] = &[
    ("admin", "ผู้ดูแลระบบ ก.พ.ร.", Role::Admin, None),
    (
        "yasothon.admin",
        "กลุ่มงานยุทธศาสตร์ สนจ.ยโสธร",
        Role::ProvinceAdmin,
        Some("YST-PO"),
    ),
    (
        "yasothon.supervisor",
        "ผู้กำกับดูแลตัวชี้วัด ยโสธร",
        Role::Supervisor,
        Some("YST-PO"),
    ),
    (
        "energy.officer",
        "เจ้าหน้าที่ สำนักงานพลังงานจังหวัดยโสธร",
        Role::AgencyOfficer,
        Some("YST-PEO"),
    ),
    (
        "health.officer",
        "เจ้าหน้าที่ สำนักงานสาธารณสุขจังหวัดยโสธร",
        Role::AgencyOfficer,
        Some("YST-PHO"),
    ),
    (
        "yasothon.governor",
        "ผู้ว่าราชการจังหวัดยโสธร",
        Role::Viewer,
        Some("TH-35"),
    ),
    ("ereport", "ระบบ e-report", Role::Integration, None),
    (
        "samutprakan.admin",
        "กลุ่มงานยุทธศาสตร์ สนจ.สมุทรปราการ",
        Role::ProvinceAdmin,
        Some("SPK-PO"),
    ),
];

/// An account the demo made: (username, role, organization code).
pub type DemoAccount = (String, String, Option<String>);

/// What `seed_if_empty` made.
#[derive(Debug, Clone)]
pub struct Seeded {
    pub accounts: Vec<DemoAccount>,
    /// The reports filed up to `DEMO_AS_OF`.
    pub reports: usize,
    /// The energy office (YST-PEO), whose work list the start-up message points to.
    pub energy_office_id: i64,
    /// The rounds opened, (id, name), whose summaries the start-up message points to.
    pub rounds: Vec<(i64, String)>,
}

/// Fills an empty database (in the caller's transaction); None when data was already there.
pub fn seed_if_empty(conn: &mut DbConnection) -> Result<Option<Seeded>> {
    let existing: i64 = organizations_table::table.count().get_result(conn)?;
    if existing > 0 {
        return Ok(None);
    }
    let accounts = seed_organizations_and_accounts(conn)?;
    let evaluation_id = seed_framework(conn)?;
    let rounds = seed_rounds(conn, evaluation_id)?
        .into_iter()
        .map(|round| (round.id, round.name))
        .collect();
    let reports = seed_reports(conn, evaluation_id)?;
    let energy_office_id = organizations::find_by_code(conn, "YST-PEO")?
        .ok_or_else(|| Error::Internal("the demo energy office is missing".into()))?
        .id;
    Ok(Some(Seeded {
        accounts,
        reports,
        energy_office_id,
        rounds,
    }))
}

/// The organizations and accounts alone (also the test fixture of every API test).
pub fn seed_organizations_and_accounts(conn: &mut DbConnection) -> Result<Vec<DemoAccount>> {
    let actor = Actor::system("demo");
    let system = Caller::system("demo");
    for (code, name_th, name_en, kind, parent) in ORGANIZATIONS {
        let parent_id = match parent {
            Some(parent) => organizations::find_by_code(conn, parent)?.map(|p| p.id),
            None => None,
        };
        organizations::create(
            conn,
            &system,
            &actor,
            OrganizationSpec {
                code: (*code).into(),
                name_th: (*name_th).into(),
                name_en: Some((*name_en).into()),
                kind: *kind,
                parent_id,
            },
        )?;
    }
    // One hash for all: argon2 is deliberately slow.
    let password_hash = passwords::hash_now(DEMO_PASSWORD)?;
    let mut made = Vec::new();
    for (username, display_name, role, org) in ACCOUNTS {
        let organization = match org {
            Some(code) => organizations::find_by_code(conn, code)?,
            None => None,
        };
        // The demo's accounts obey the account rules like any other.
        Error::check(
            AccountSpec {
                username: Some(username),
                display_name,
                password: Some(DEMO_PASSWORD),
                role: *role,
                has_organization: organization.is_some(),
            }
            .problems(),
        )?;
        users::create(
            conn,
            &actor,
            &UserFields {
                username: (*username).into(),
                display_name: account::display_name(display_name),
                password_hash: password_hash.clone(),
                role: *role,
                organization_id: organization.as_ref().map(|o| o.id),
                disabled: false,
            },
            organization.and_then(|o| o.province_id),
        )?;
        made.push((
            (*username).to_owned(),
            role.as_str().to_owned(),
            org.map(str::to_owned),
        ));
    }
    Ok(made)
}
