//! Where the generated year happens: the provinces (ISO 3166-2:TH), their provincial offices and
//! agencies, with the names Thai provincial agencies carry.

use crate::domain::organization::OrganizationKind;

/// A province: (ISO 3166-2:TH code, Thai name without จังหวัด, English name). The seed documents'
/// provinces come first (seed 002 Yasothon, seed 000 Samut Prakan, seed 001 Samut Sakhon,
/// seed 003 Pathum Thani, seed 004 Si Sa Ket, and Roi Et, where seed 002's rice research centre
/// sits), so a small run is the seeds' world; then the other provinces in code order, and
/// Bangkok, which has no provincial office, last.
pub const PROVINCES: &[(&str, &str, &str)] = &[
    ("TH-35", "ยโสธร", "Yasothon"),
    ("TH-11", "สมุทรปราการ", "Samut Prakan"),
    ("TH-74", "สมุทรสาคร", "Samut Sakhon"),
    ("TH-13", "ปทุมธานี", "Pathum Thani"),
    ("TH-33", "ศรีสะเกษ", "Si Sa Ket"),
    ("TH-45", "ร้อยเอ็ด", "Roi Et"),
    ("TH-12", "นนทบุรี", "Nonthaburi"),
    ("TH-14", "พระนครศรีอยุธยา", "Phra Nakhon Si Ayutthaya"),
    ("TH-15", "อ่างทอง", "Ang Thong"),
    ("TH-16", "ลพบุรี", "Lop Buri"),
    ("TH-17", "สิงห์บุรี", "Sing Buri"),
    ("TH-18", "ชัยนาท", "Chai Nat"),
    ("TH-19", "สระบุรี", "Saraburi"),
    ("TH-20", "ชลบุรี", "Chon Buri"),
    ("TH-21", "ระยอง", "Rayong"),
    ("TH-22", "จันทบุรี", "Chanthaburi"),
    ("TH-23", "ตราด", "Trat"),
    ("TH-24", "ฉะเชิงเทรา", "Chachoengsao"),
    ("TH-25", "ปราจีนบุรี", "Prachin Buri"),
    ("TH-26", "นครนายก", "Nakhon Nayok"),
    ("TH-27", "สระแก้ว", "Sa Kaeo"),
    ("TH-30", "นครราชสีมา", "Nakhon Ratchasima"),
    ("TH-31", "บุรีรัมย์", "Buri Ram"),
    ("TH-32", "สุรินทร์", "Surin"),
    ("TH-34", "อุบลราชธานี", "Ubon Ratchathani"),
    ("TH-36", "ชัยภูมิ", "Chaiyaphum"),
    ("TH-37", "อำนาจเจริญ", "Amnat Charoen"),
    ("TH-38", "บึงกาฬ", "Bueng Kan"),
    ("TH-39", "หนองบัวลำภู", "Nong Bua Lam Phu"),
    ("TH-40", "ขอนแก่น", "Khon Kaen"),
    ("TH-41", "อุดรธานี", "Udon Thani"),
    ("TH-42", "เลย", "Loei"),
    ("TH-43", "หนองคาย", "Nong Khai"),
    ("TH-44", "มหาสารคาม", "Maha Sarakham"),
    ("TH-46", "กาฬสินธุ์", "Kalasin"),
    ("TH-47", "สกลนคร", "Sakon Nakhon"),
    ("TH-48", "นครพนม", "Nakhon Phanom"),
    ("TH-49", "มุกดาหาร", "Mukdahan"),
    ("TH-50", "เชียงใหม่", "Chiang Mai"),
    ("TH-51", "ลำพูน", "Lamphun"),
    ("TH-52", "ลำปาง", "Lampang"),
    ("TH-53", "อุตรดิตถ์", "Uttaradit"),
    ("TH-54", "แพร่", "Phrae"),
    ("TH-55", "น่าน", "Nan"),
    ("TH-56", "พะเยา", "Phayao"),
    ("TH-57", "เชียงราย", "Chiang Rai"),
    ("TH-58", "แม่ฮ่องสอน", "Mae Hong Son"),
    ("TH-60", "นครสวรรค์", "Nakhon Sawan"),
    ("TH-61", "อุทัยธานี", "Uthai Thani"),
    ("TH-62", "กำแพงเพชร", "Kamphaeng Phet"),
    ("TH-63", "ตาก", "Tak"),
    ("TH-64", "สุโขทัย", "Sukhothai"),
    ("TH-65", "พิษณุโลก", "Phitsanulok"),
    ("TH-66", "พิจิตร", "Phichit"),
    ("TH-67", "เพชรบูรณ์", "Phetchabun"),
    ("TH-70", "ราชบุรี", "Ratchaburi"),
    ("TH-71", "กาญจนบุรี", "Kanchanaburi"),
    ("TH-72", "สุพรรณบุรี", "Suphan Buri"),
    ("TH-73", "นครปฐม", "Nakhon Pathom"),
    ("TH-75", "สมุทรสงคราม", "Samut Songkhram"),
    ("TH-76", "เพชรบุรี", "Phetchaburi"),
    ("TH-77", "ประจวบคีรีขันธ์", "Prachuap Khiri Khan"),
    ("TH-80", "นครศรีธรรมราช", "Nakhon Si Thammarat"),
    ("TH-81", "กระบี่", "Krabi"),
    ("TH-82", "พังงา", "Phangnga"),
    ("TH-83", "ภูเก็ต", "Phuket"),
    ("TH-84", "สุราษฎร์ธานี", "Surat Thani"),
    ("TH-85", "ระนอง", "Ranong"),
    ("TH-86", "ชุมพร", "Chumphon"),
    ("TH-90", "สงขลา", "Songkhla"),
    ("TH-91", "สตูล", "Satun"),
    ("TH-92", "ตรัง", "Trang"),
    ("TH-93", "พัทลุง", "Phatthalung"),
    ("TH-94", "ปัตตานี", "Pattani"),
    ("TH-95", "ยะลา", "Yala"),
    ("TH-96", "นราธิวาส", "Narathiwat"),
    ("TH-10", "กรุงเทพมหานคร", "Bangkok"),
];

/// How an agency's name is made from its province's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Naming {
    /// `สำนักงานเกษตร` + `จังหวัดยโสธร`.
    OfProvince,
    /// `สำนักงานสรรพากรพื้นที่` + `ยโสธร` (area offices named by the town, not the province).
    OfTown,
}

/// An agency every province has: (code suffix, Thai name before the province, English name
/// after it, naming). The offices the seed documents name come first (seed 002's Yasothon
/// agencies, seed 001's energy office and police, seed 004's environment office and rural roads).
const AGENCIES: &[(&str, &str, &str, Naming)] = &[
    (
        "PEO",
        "สำนักงานพลังงาน",
        "Provincial Energy Office",
        Naming::OfProvince,
    ),
    (
        "AGRI",
        "สำนักงานเกษตร",
        "Provincial Agricultural Extension Office",
        Naming::OfProvince,
    ),
    (
        "PHO",
        "สำนักงานสาธารณสุข",
        "Provincial Public Health Office",
        Naming::OfProvince,
    ),
    (
        "SSO",
        "สำนักงานประกันสังคม",
        "Provincial Social Security Office",
        Naming::OfProvince,
    ),
    (
        "DLA",
        "สำนักงานส่งเสริมการปกครองท้องถิ่น",
        "Provincial Office of Local Administration",
        Naming::OfProvince,
    ),
    (
        "NRE",
        "สำนักงานทรัพยากรธรรมชาติและสิ่งแวดล้อม",
        "Provincial Natural Resources and Environment Office",
        Naming::OfProvince,
    ),
    (
        "COM",
        "สำนักงานพาณิชย์",
        "Provincial Commercial Office",
        Naming::OfProvince,
    ),
    ("POL", "ตำรวจภูธร", "Provincial Police", Naming::OfProvince),
    ("PRN", "เรือนจำ", "Provincial Prison", Naming::OfProvince),
    (
        "RRD",
        "แขวงทางหลวงชนบท",
        "Provincial Rural Roads Office",
        Naming::OfProvince,
    ),
    (
        "CDD",
        "สำนักงานพัฒนาชุมชน",
        "Provincial Community Development Office",
        Naming::OfProvince,
    ),
    (
        "LAB",
        "สำนักงานแรงงาน",
        "Provincial Labour Office",
        Naming::OfProvince,
    ),
    (
        "TRE",
        "สำนักงานคลัง",
        "Provincial Comptroller Office",
        Naming::OfProvince,
    ),
    (
        "NSO",
        "สำนักงานสถิติ",
        "Provincial Statistical Office",
        Naming::OfProvince,
    ),
    (
        "CUL",
        "สำนักงานวัฒนธรรม",
        "Provincial Cultural Office",
        Naming::OfProvince,
    ),
    (
        "TSO",
        "สำนักงานการท่องเที่ยวและกีฬา",
        "Provincial Tourism and Sports Office",
        Naming::OfProvince,
    ),
    (
        "SDHS",
        "สำนักงานพัฒนาสังคมและความมั่นคงของมนุษย์",
        "Provincial Social Development and Human Security Office",
        Naming::OfProvince,
    ),
    (
        "LVS",
        "สำนักงานปศุสัตว์",
        "Provincial Livestock Office",
        Naming::OfProvince,
    ),
    (
        "FSH",
        "สำนักงานประมง",
        "Provincial Fisheries Office",
        Naming::OfProvince,
    ),
    (
        "COOP",
        "สำนักงานสหกรณ์",
        "Provincial Cooperative Office",
        Naming::OfProvince,
    ),
    (
        "IND",
        "สำนักงานอุตสาหกรรม",
        "Provincial Industry Office",
        Naming::OfProvince,
    ),
    (
        "DLT",
        "สำนักงานขนส่ง",
        "Provincial Land Transport Office",
        Naming::OfProvince,
    ),
    (
        "LAND",
        "สำนักงานที่ดิน",
        "Provincial Land Office",
        Naming::OfProvince,
    ),
    (
        "DPT",
        "สำนักงานโยธาธิการและผังเมือง",
        "Provincial Public Works and Town Planning Office",
        Naming::OfProvince,
    ),
    (
        "DDPM",
        "สำนักงานป้องกันและบรรเทาสาธารณภัย",
        "Provincial Disaster Prevention and Mitigation Office",
        Naming::OfProvince,
    ),
    (
        "EDU",
        "สำนักงานศึกษาธิการ",
        "Provincial Education Office",
        Naming::OfProvince,
    ),
    (
        "DOE",
        "สำนักงานจัดหางาน",
        "Provincial Employment Office",
        Naming::OfProvince,
    ),
    (
        "LPW",
        "สำนักงานสวัสดิการและคุ้มครองแรงงาน",
        "Provincial Labour Protection and Welfare Office",
        Naming::OfProvince,
    ),
    (
        "DSD",
        "สำนักงานพัฒนาฝีมือแรงงาน",
        "Provincial Skill Development Office",
        Naming::OfProvince,
    ),
    (
        "ALRO",
        "สำนักงานการปฏิรูปที่ดิน",
        "Provincial Agricultural Land Reform Office",
        Naming::OfProvince,
    ),
    (
        "PRD",
        "สำนักงานประชาสัมพันธ์",
        "Provincial Public Relations Office",
        Naming::OfProvince,
    ),
    (
        "NBO",
        "สำนักงานพระพุทธศาสนา",
        "Provincial Office of Buddhism",
        Naming::OfProvince,
    ),
    (
        "MOJ",
        "สำนักงานยุติธรรม",
        "Provincial Justice Office",
        Naming::OfProvince,
    ),
    (
        "DOP",
        "สำนักงานคุมประพฤติ",
        "Provincial Probation Office",
        Naming::OfProvince,
    ),
    (
        "LED",
        "สำนักงานบังคับคดี",
        "Provincial Legal Execution Office",
        Naming::OfProvince,
    ),
    (
        "DOPA",
        "ที่ทำการปกครอง",
        "Provincial Administration Office",
        Naming::OfProvince,
    ),
    (
        "MOAC",
        "สำนักงานเกษตรและสหกรณ์",
        "Provincial Agriculture and Cooperatives Office",
        Naming::OfProvince,
    ),
    (
        "CHILD",
        "บ้านพักเด็กและครอบครัว",
        "Provincial Children and Family Shelter",
        Naming::OfProvince,
    ),
    (
        "JUV",
        "สถานพินิจและคุ้มครองเด็กและเยาวชน",
        "Provincial Juvenile Observation and Protection Centre",
        Naming::OfProvince,
    ),
    (
        "PEA",
        "การไฟฟ้าส่วนภูมิภาค",
        "Provincial Electricity Authority Office",
        Naming::OfProvince,
    ),
    (
        "IMM",
        "ตรวจคนเข้าเมือง",
        "Provincial Immigration",
        Naming::OfProvince,
    ),
    (
        "RD",
        "สำนักงานสรรพากรพื้นที่",
        "Area Revenue Office",
        Naming::OfTown,
    ),
    (
        "EXC",
        "สำนักงานสรรพสามิตพื้นที่",
        "Area Excise Office",
        Naming::OfTown,
    ),
    (
        "CAD",
        "สำนักงานตรวจบัญชีสหกรณ์",
        "Cooperative Auditing Office",
        Naming::OfTown,
    ),
    (
        "RID",
        "โครงการชลประทาน",
        "Irrigation Project",
        Naming::OfTown,
    ),
    ("DOH", "แขวงทางหลวง", "Highway District", Naming::OfTown),
    (
        "LDD",
        "สถานีพัฒนาที่ดิน",
        "Land Development Station",
        Naming::OfTown,
    ),
    (
        "TRD",
        "สำนักงานธนารักษ์พื้นที่",
        "Area Treasury Office",
        Naming::OfTown,
    ),
    (
        "ARDC",
        "ศูนย์วิจัยและพัฒนาการเกษตร",
        "Agricultural Research and Development Centre",
        Naming::OfTown,
    ),
];

/// A province of the run.
#[derive(Debug, Clone)]
pub struct Province {
    /// Its place in `PROVINCES` (and in the run).
    pub index: usize,
    pub code: &'static str,
    pub name_th: String,
    pub name_en: &'static str,
    /// `ยโสธร`: what agency names are made from.
    town: &'static str,
    /// `TH35`: what its organizations' codes and accounts' usernames start with.
    pub prefix: String,
}

/// The first `count` provinces of `PROVINCES`.
pub fn provinces(count: usize) -> Vec<Province> {
    PROVINCES
        .iter()
        .take(count)
        .enumerate()
        .map(|(index, &(code, town, name_en))| Province {
            index,
            code,
            name_th: if code == "TH-10" {
                town.to_owned()
            } else {
                format!("จังหวัด{town}")
            },
            name_en,
            town,
            prefix: code.replace('-', ""),
        })
        .collect()
}

/// An organization to create: (code, Thai name, English name, kind).
pub type OrganizationSpec = (String, String, String, OrganizationKind);

impl Province {
    /// Its provincial office (สำนักงานจังหวัด), which holds the province's admin and supervisor
    /// and supervises every indicator (seed 002: the provincial office's strategy group).
    pub fn office(&self) -> OrganizationSpec {
        let name_th = if self.code == "TH-10" {
            "สำนักงานปลัดกรุงเทพมหานคร".to_owned()
        } else {
            format!("สำนักงาน{}", self.name_th)
        };
        (
            format!("{}-PO", self.prefix),
            name_th,
            format!("{} Provincial Office", self.name_en),
            OrganizationKind::Agency,
        )
    }

    /// Its `count` reporting agencies: the offices every province has, then numbered units.
    pub fn agencies(&self, count: usize) -> Vec<OrganizationSpec> {
        (0..count)
            .map(|n| match AGENCIES.get(n) {
                Some(&(suffix, name, english, naming)) => (
                    format!("{}-{suffix}", self.prefix),
                    match naming {
                        Naming::OfProvince => format!("{name}{}", self.name_th),
                        Naming::OfTown => format!("{name}{}", self.town),
                    },
                    format!("{} {english}", self.name_en),
                    OrganizationKind::Agency,
                ),
                None => (
                    format!("{}-U{:03}", self.prefix, n + 1),
                    format!("หน่วยงานที่ {} {}", n + 1, self.name_th),
                    format!("{} unit {}", self.name_en, n + 1),
                    OrganizationKind::Agency,
                ),
            })
            .collect()
    }

    /// Usernames: `th35.admin`, `th35.supervisor`, and `th35-peo.officer` for an agency.
    pub fn admin_username(&self) -> String {
        format!("{}.admin", self.prefix.to_ascii_lowercase())
    }

    pub fn supervisor_username(&self) -> String {
        format!("{}.supervisor", self.prefix.to_ascii_lowercase())
    }
}

pub fn officer_username(agency_code: &str) -> String {
    format!("{}.officer", agency_code.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::organization::{check_code, check_province_code};
    use std::collections::HashSet;

    #[test]
    fn every_province_once_with_its_iso_code() {
        assert_eq!(PROVINCES.len(), 77);
        let codes: HashSet<_> = PROVINCES.iter().map(|p| p.0).collect();
        assert_eq!(codes.len(), 77);
        for (code, ..) in PROVINCES {
            assert_eq!(check_province_code(code), Ok(()), "{code}");
        }
    }

    #[test]
    fn agency_codes_are_codes_and_unique_across_provinces() {
        let mut seen = HashSet::new();
        for province in provinces(77) {
            let office = province.office();
            for (code, name, ..) in std::iter::once(office).chain(province.agencies(60)) {
                assert_eq!(check_code(&code), Ok(()), "{code}");
                assert!(name.chars().count() <= 300);
                assert!(seen.insert(code.to_ascii_lowercase()), "{code} twice");
            }
        }
        let yasothon = &provinces(1)[0];
        assert_eq!(yasothon.agencies(1)[0].1, "สำนักงานพลังงานจังหวัดยโสธร");
        assert_eq!(yasothon.office().1, "สำนักงานจังหวัดยโสธร");
        assert_eq!(yasothon.agencies(42)[41].1, "สำนักงานสรรพากรพื้นที่ยโสธร");
    }
}
