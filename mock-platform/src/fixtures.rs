//! The people and organisations the mock platform knows, generated from a seed.
//!
//! Same seed, same data: tests can name a citizen by index and get the same ID number on every
//! machine. Every resident ID number passes GB 11643 and every USCC passes GB 32100 (checked by
//! the domain validators in the tests below), so the BFF's own validation never trips over
//! fixture data.
//!
//! Real-name levels are fixed by position so a test can pick one without searching:
//! citizen `i` has level 1 when `i % 10 == 1`, level 2 when `i % 10 == 2`, level 3 otherwise
//! (so citizen 0 is level 3, citizen 1 is level 1, citizen 2 is level 2).

use std::collections::HashSet;

use chrono::{Datelike, Duration, NaiveDate};
use rand::{seq::SliceRandom, Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use zhelikit_domain::{region::WENZHOU_DIVISIONS, ResidentId, Uscc};

/// How many citizens [`Fixtures::generate`] makes.
pub const CITIZEN_COUNT: usize = 1_000;
/// How many enterprises [`Fixtures::generate`] makes.
pub const ENTERPRISE_COUNT: usize = 200;
/// How many officials each municipal department gets.
pub const OFFICIALS_PER_DEPARTMENT: usize = 6;
/// The 浙政钉 tenant (realm) id of the Wenzhou municipal government.
pub const TENANT_ID: i64 = 196_729;
/// Name of the root organisation, which is also the tenant's name.
pub const ROOT_ORGANISATION_NAME: &str = "温州市人民政府";

/// Real-name authentication level of a 浙里办 account (实名认证等级).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthLevel {
    /// `1`: registered, identity not verified; its real-name data must not be trusted.
    Unverified,
    /// `2`: basic real-name (ID number and name matched).
    Basic,
    /// `3`: advanced real-name (face or bank-card verified).
    Advanced,
}

impl AuthLevel {
    /// The number the platform sends.
    pub fn code(self) -> u8 {
        match self {
            Self::Unverified => 1,
            Self::Basic => 2,
            Self::Advanced => 3,
        }
    }

    /// The level citizen `index` has; see the module documentation.
    pub fn for_citizen_index(index: usize) -> Self {
        match index % 10 {
            1 => Self::Unverified,
            2 => Self::Basic,
            _ => Self::Advanced,
        }
    }
}

/// Sex as GB 11643 encodes it in the sequence number's parity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sex {
    /// Odd sequence number; `1` on the wire.
    Male,
    /// Even sequence number; `2` on the wire.
    Female,
}

impl Sex {
    /// The code 浙里办 sends in `sex`.
    pub fn code(self) -> &'static str {
        match self {
            Self::Male => "1",
            Self::Female => "2",
        }
    }
}

/// A personal 浙里办 user (个人用户).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Citizen {
    /// Platform user id, `zlb-u-000001` for index 0.
    pub userid: String,
    /// Login name shown by the platform.
    pub loginname: String,
    /// Full name, family name first.
    pub name: String,
    /// 18-character resident ID number.
    pub id_number: String,
    /// Certificate type; always `1` (resident ID card) here.
    pub idtype: String,
    /// Birth date (also characters 7–14 of the ID number).
    pub birth_date: NaiveDate,
    /// Sex, consistent with the ID number.
    pub sex: Sex,
    /// Eleven-digit mobile number.
    pub mobile: String,
    /// E-mail address.
    pub email: String,
    /// Ethnicity (民族).
    pub nation: String,
    /// Real-name level.
    pub auth_level: AuthLevel,
}

/// A legal-person 浙里办 account: an enterprise and the citizen acting for it (经办人).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enterprise {
    /// Platform user id of the enterprise account, `zlb-e-000001` for index 0.
    pub userid: String,
    /// Platform enterprise id.
    pub corp_id: String,
    /// Registered name.
    pub name: String,
    /// Unified social credit code.
    pub uscc: String,
    /// Organisation type as the platform names it.
    pub org_type: String,
    /// Index into [`Fixtures::citizens`] of the legal representative (法定代表人).
    pub legal_representative: usize,
    /// Index into [`Fixtures::citizens`] of the person acting (经办人); the account's real-name
    /// level is theirs.
    pub attn: usize,
}

/// A 浙政钉 organisation node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organisation {
    /// Organisation code (`GO_…`).
    pub code: String,
    /// Name.
    pub name: String,
    /// Parent's code; `None` for the root.
    pub parent_code: Option<String>,
    /// Unified social credit code of the organ (registration authority `1`: 机构编制).
    pub credit_code: String,
}

/// A 浙政钉 user: a civil servant in one department.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Official {
    /// Account id, stable per person.
    pub account_id: i64,
    /// Login account.
    pub account: String,
    /// Employee code within the tenant (`GE_…`).
    pub employee_code: String,
    /// Full name, family name first.
    pub name: String,
    /// Code of the organisation of the main position.
    pub organisation_code: String,
    /// Job title there.
    pub job_title: String,
    /// Whether the position is one of the unit's leaders (主要或分管负责人).
    pub leader: bool,
    /// Tenant id.
    pub tenant_id: i64,
}

impl Official {
    /// The family name (one character in every fixture name).
    pub fn last_name(&self) -> String {
        self.name.chars().take(1).collect()
    }
}

/// Everything the mock platform knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fixtures {
    /// Personal users; index `i` has userid `zlb-u-{i+1:06}`.
    pub citizens: Vec<Citizen>,
    /// Legal-person users; index `i` has userid `zlb-e-{i+1:06}`.
    pub enterprises: Vec<Enterprise>,
    /// 浙政钉 users.
    pub officials: Vec<Official>,
    /// The root organisation first, then the municipal departments, then (see
    /// [`SUPERVISION_OFFICE_NAME`]) the general office and its supervision office, the
    /// departments' divisions and the county governments.
    pub organisations: Vec<Organisation>,
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "罗", "郑", "梁", "谢", "宋", "唐", "叶", "潘", "金", "蔡", "应", "池",
];
const GIVEN_NAME_CHARS: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "桂", "英", "华", "建", "国", "志", "文", "海", "晨", "怡", "浩",
    "宇", "欣", "婷", "博", "雪", "琳", "瑞", "瓯",
];
const ENTERPRISE_WORDS: &[&str] = &[
    "瓯江", "东海", "雁荡", "楠溪", "南塘", "五马", "江心", "华盛", "宏达", "瑞丰", "正泰", "长城",
    "永强", "龙湾", "瓯越", "海洋", "新城", "恒信", "汇丰", "天成", "金鸥", "银泰", "康宁", "兴业",
    "启航", "蓝海", "明珠", "新安", "和顺", "创新",
];
const INDUSTRIES: &[&str] = &[
    "电气", "鞋业", "服饰", "眼镜", "阀门", "科技", "机械", "印刷", "食品", "物流", "贸易", "建设",
    "汽配", "包装", "光电", "文具",
];
const DEPARTMENTS: &[&str] = &[
    "温州市公安局",
    "温州市人力资源和社会保障局",
    "温州市交通运输局",
    "温州市市场监督管理局",
    "温州市卫生健康委员会",
    "温州市教育局",
    "温州市大数据发展管理局",
    "温州市财政局",
    "温州市民政局",
];
const JOB_TITLES: &[&str] = &["局长", "副局长", "处长", "副处长", "科长", "科员"];
/// How many of [`JOB_TITLES`], from the first, are leader positions.
const LEADER_TITLES: usize = 2;
/// The general office of the municipal government, under the root.
pub const GENERAL_OFFICE_NAME: &str = "温州市人民政府办公室";
/// The supervision office (督查室), under the general office: the unit whose members run
/// 政务督查.
pub const SUPERVISION_OFFICE_NAME: &str = "温州市人民政府督查室";
/// The title of a unit's supervision contact, as `zhelikit_domain::supervision::CONTACT_TITLE`
/// reads it.
pub const CONTACT_TITLE: &str = "督查联络员";
/// The city's leaders, members of the root organisation.
const CITY_LEADER_TITLES: &[&str] = &["市长", "常务副市长", "副市长"];
/// Two divisions (处室) of each department, in the order of [`DEPARTMENTS`].
const DIVISIONS: &[[&str; 2]] = &[
    ["办公室", "治安管理支队"],
    ["办公室", "就业促进处"],
    ["办公室", "建设管理处"],
    ["办公室", "登记注册处"],
    ["办公室", "医政医管处"],
    ["办公室", "基础教育处"],
    ["办公室", "数据资源处"],
    ["办公室", "预算处"],
    ["办公室", "社会救助处"],
];
/// The county-level governments of Wenzhou, and what their head is called.
const COUNTIES: &[(&str, &str)] = &[
    ("鹿城区人民政府", "区长"),
    ("龙湾区人民政府", "区长"),
    ("瓯海区人民政府", "区长"),
    ("洞头区人民政府", "区长"),
    ("瑞安市人民政府", "市长"),
    ("乐清市人民政府", "市长"),
    ("龙港市人民政府", "市长"),
    ("永嘉县人民政府", "县长"),
    ("平阳县人民政府", "县长"),
    ("苍南县人民政府", "县长"),
    ("文成县人民政府", "县长"),
    ("泰顺县人民政府", "县长"),
];
const MOBILE_PREFIXES: &[&str] = &["13", "15", "18", "19"];
/// Characters allowed in a USCC (GB 32100: no I, O, S, V, Z).
const USCC_CHARSET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

impl Fixtures {
    /// Generates the data for `seed`; the same seed always gives the same data.
    pub fn generate(seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let citizens = generate_citizens(&mut rng);
        let enterprises = generate_enterprises(&mut rng, citizens.len());
        let mut organisations = generate_organisations(&mut rng);
        let mut officials = generate_officials(&mut rng, &organisations);
        // After everything else, so the data generated before it stays what it was.
        add_supervision_units(&mut rng, &mut organisations, &mut officials);
        Self {
            citizens,
            enterprises,
            officials,
            organisations,
        }
    }

    /// The citizen with this platform user id.
    pub fn citizen(&self, userid: &str) -> Option<&Citizen> {
        self.citizens.iter().find(|c| c.userid == userid)
    }

    /// The enterprise with this platform user id.
    pub fn enterprise(&self, userid: &str) -> Option<&Enterprise> {
        self.enterprises.iter().find(|e| e.userid == userid)
    }

    /// The citizen at `index`, as enterprises refer to them.
    pub fn citizen_at(&self, index: usize) -> Option<&Citizen> {
        self.citizens.get(index)
    }

    /// The official with this account id.
    pub fn official_by_account(&self, account_id: i64) -> Option<&Official> {
        self.officials.iter().find(|o| o.account_id == account_id)
    }

    /// The official with this employee code.
    pub fn official_by_employee_code(&self, code: &str) -> Option<&Official> {
        self.officials.iter().find(|o| o.employee_code == code)
    }

    /// The officials whose main position is in the organisation `code`.
    pub fn officials_in<'f>(&'f self, code: &'f str) -> impl Iterator<Item = &'f Official> + 'f {
        self.officials
            .iter()
            .filter(move |o| o.organisation_code == code)
    }

    /// The root organisation (`温州市人民政府`).
    pub fn root_organisation(&self) -> Option<&Organisation> {
        self.organisations.iter().find(|o| o.parent_code.is_none())
    }

    /// The organisation with this code.
    pub fn organisation(&self, code: &str) -> Option<&Organisation> {
        self.organisations.iter().find(|o| o.code == code)
    }
}

pub(crate) fn pick<'a>(rng: &mut ChaCha8Rng, table: &[&'a str]) -> &'a str {
    table.choose(rng).copied().unwrap_or_default()
}

pub(crate) fn person_name(rng: &mut ChaCha8Rng) -> String {
    let surname = pick(rng, SURNAMES);
    person_named(rng, surname)
}

/// A full name with the given family name, as for a child or a member of the same family.
pub(crate) fn person_named(rng: &mut ChaCha8Rng, surname: &str) -> String {
    let mut name = surname.to_string();
    // Most given names have two characters, some one, as in the population.
    let given_len = if rng.gen_bool(0.7) { 2 } else { 1 };
    for _ in 0..given_len {
        name.push_str(pick(rng, GIVEN_NAME_CHARS));
    }
    name
}

fn division_code(rng: &mut ChaCha8Rng) -> &'static str {
    WENZHOU_DIVISIONS
        .choose(rng)
        .map(|d| d.code)
        .unwrap_or("330302")
}

fn generate_citizens(rng: &mut ChaCha8Rng) -> Vec<Citizen> {
    let earliest = NaiveDate::from_ymd_opt(1940, 1, 1).unwrap_or_default();
    let latest = NaiveDate::from_ymd_opt(2008, 12, 31).unwrap_or_default();
    let span_days = (latest - earliest).num_days();
    let mut ids = HashSet::new();
    let mut mobiles = HashSet::new();
    let mut citizens = Vec::with_capacity(CITIZEN_COUNT);
    for index in 0..CITIZEN_COUNT {
        let (id_number, birth_date, sex) = loop {
            let region = division_code(rng);
            let birth = earliest + Duration::days(rng.gen_range(0..=span_days));
            let sequence: u32 = rng.gen_range(0..1000);
            let first17 = format!(
                "{region}{:04}{:02}{:02}{sequence:03}",
                birth.year(),
                birth.month(),
                birth.day()
            );
            let Ok(check) = ResidentId::check_character(&first17) else {
                continue;
            };
            let id = format!("{first17}{check}");
            if ids.insert(id.clone()) {
                let sex = if sequence % 2 == 1 {
                    Sex::Male
                } else {
                    Sex::Female
                };
                break (id, birth, sex);
            }
        };
        let mobile = loop {
            let m = format!(
                "{}{:09}",
                pick(rng, MOBILE_PREFIXES),
                rng.gen_range(0..1_000_000_000u32)
            );
            if mobiles.insert(m.clone()) {
                break m;
            }
        };
        let number = index + 1;
        citizens.push(Citizen {
            userid: format!("zlb-u-{number:06}"),
            loginname: format!("wz{number:06}"),
            name: person_name(rng),
            id_number,
            idtype: "1".to_string(),
            birth_date,
            sex,
            email: format!("wz{number:06}@example.com"),
            mobile,
            // Most Wenzhou residents are Han; the mock does not need more variety here.
            nation: "汉族".to_string(),
            auth_level: AuthLevel::for_citizen_index(index),
        });
    }
    citizens
}

/// A nine-character GB 11714 organisation code: eight body characters and the check character.
fn organisation_code(rng: &mut ChaCha8Rng) -> String {
    loop {
        let body: String = (0..8)
            .map(|_| USCC_CHARSET[rng.gen_range(0..USCC_CHARSET.len())] as char)
            .collect();
        if let Ok(check) = Uscc::organisation_check_character(&body) {
            return format!("{body}{check}");
        }
    }
}

/// A USCC with the given registration authority and organisation type characters.
fn uscc(rng: &mut ChaCha8Rng, authority_and_type: &str, region: &str) -> String {
    loop {
        let first17 = format!("{authority_and_type}{region}{}", organisation_code(rng));
        if let Ok(check) = Uscc::check_character(&first17) {
            return format!("{first17}{check}");
        }
    }
}

fn generate_enterprises(rng: &mut ChaCha8Rng, citizen_count: usize) -> Vec<Enterprise> {
    let mut names = HashSet::new();
    let mut codes = HashSet::new();
    let mut enterprises = Vec::with_capacity(ENTERPRISE_COUNT);
    for index in 0..ENTERPRISE_COUNT {
        let name = loop {
            let n = format!(
                "温州{}{}有限公司",
                pick(rng, ENTERPRISE_WORDS),
                pick(rng, INDUSTRIES)
            );
            if names.insert(n.clone()) {
                break n;
            }
        };
        let code = loop {
            // `9` market regulator, `1` enterprise.
            let region = division_code(rng);
            let c = uscc(rng, "91", region);
            if codes.insert(c.clone()) {
                break c;
            }
        };
        let legal_representative = rng.gen_range(0..citizen_count);
        // Half the time the legal representative acts in person, as in small firms.
        let attn = if rng.gen_bool(0.5) {
            legal_representative
        } else {
            rng.gen_range(0..citizen_count)
        };
        let number = index + 1;
        enterprises.push(Enterprise {
            userid: format!("zlb-e-{number:06}"),
            corp_id: format!("corp-{:016x}", rng.gen::<u64>()),
            name,
            uscc: code,
            org_type: "企业法人".to_string(),
            legal_representative,
            attn,
        });
    }
    enterprises
}

fn go_code(rng: &mut ChaCha8Rng, prefix: &str) -> String {
    format!("{prefix}{:032x}", rng.gen::<u128>())
}

fn generate_organisations(rng: &mut ChaCha8Rng) -> Vec<Organisation> {
    let root = Organisation {
        code: go_code(rng, "GO_"),
        name: ROOT_ORGANISATION_NAME.to_string(),
        parent_code: None,
        // `1` 机构编制, `1` 机关; 330300 is the Wenzhou municipal code.
        credit_code: uscc(rng, "11", "330300"),
    };
    let mut organisations = vec![root.clone()];
    for name in DEPARTMENTS {
        organisations.push(Organisation {
            code: go_code(rng, "GO_"),
            name: (*name).to_string(),
            parent_code: Some(root.code.clone()),
            credit_code: uscc(rng, "11", "330300"),
        });
    }
    organisations
}

fn generate_officials(rng: &mut ChaCha8Rng, organisations: &[Organisation]) -> Vec<Official> {
    let mut officials = Vec::new();
    for department in organisations.iter().filter(|o| o.parent_code.is_some()) {
        for slot in 0..OFFICIALS_PER_DEPARTMENT {
            let number = officials.len() + 1;
            officials.push(Official {
                account_id: 80_000_000 + number as i64,
                account: format!("wz-gov-{number:04}"),
                employee_code: go_code(rng, "GE_"),
                name: person_name(rng),
                organisation_code: department.code.clone(),
                // One head, one deputy, then the ranks below, so each department has a head.
                job_title: JOB_TITLES.get(slot).copied().unwrap_or("科员").to_string(),
                leader: slot < LEADER_TITLES,
                tenant_id: TENANT_ID,
            });
        }
    }
    officials
}

/// The tree 政务督查 works on: the city's leaders in the root; the general office and its
/// supervision office; a contact in every department and two divisions under each (a head, a
/// contact, a clerk); the county governments (a head, a deputy, a contact, a clerk).
fn add_supervision_units(
    rng: &mut ChaCha8Rng,
    organisations: &mut Vec<Organisation>,
    officials: &mut Vec<Official>,
) {
    let Some(root) = organisations.first().cloned() else {
        return;
    };
    let departments: Vec<Organisation> = organisations[1..].to_vec();
    let add_official =
        |rng: &mut ChaCha8Rng, officials: &mut Vec<Official>, unit: &str, title: &str, leader| {
            let number = officials.len() + 1;
            officials.push(Official {
                account_id: 80_000_000 + number as i64,
                account: format!("wz-gov-{number:04}"),
                employee_code: go_code(rng, "GE_"),
                name: person_name(rng),
                organisation_code: unit.to_string(),
                job_title: title.to_string(),
                leader,
                tenant_id: TENANT_ID,
            });
        };
    let mut unit = |rng: &mut ChaCha8Rng, name: String, parent: &str, organ: bool| {
        let o = Organisation {
            code: go_code(rng, "GO_"),
            name,
            parent_code: Some(parent.to_string()),
            // A division (处室) is part of its organ and has no credit code of its own.
            credit_code: if organ {
                uscc(rng, "11", "330300")
            } else {
                String::new()
            },
        };
        organisations.push(o.clone());
        o
    };
    for title in CITY_LEADER_TITLES {
        add_official(rng, officials, &root.code, title, true);
    }
    let general = unit(rng, GENERAL_OFFICE_NAME.to_string(), &root.code, true);
    add_official(rng, officials, &general.code, "主任", true);
    add_official(rng, officials, &general.code, "副主任", true);
    add_official(rng, officials, &general.code, "科员", false);
    let office = unit(
        rng,
        SUPERVISION_OFFICE_NAME.to_string(),
        &general.code,
        false,
    );
    add_official(rng, officials, &office.code, "主任", true);
    add_official(rng, officials, &office.code, "副主任", false);
    add_official(rng, officials, &office.code, "科员", false);
    add_official(rng, officials, &office.code, "科员", false);
    for (department, divisions) in departments.iter().zip(DIVISIONS) {
        add_official(rng, officials, &department.code, CONTACT_TITLE, false);
        for division in divisions {
            let d = unit(
                rng,
                format!("{}{division}", department.name),
                &department.code,
                false,
            );
            add_official(rng, officials, &d.code, "处长", true);
            add_official(rng, officials, &d.code, CONTACT_TITLE, false);
            add_official(rng, officials, &d.code, "科员", false);
        }
    }
    for (county, head) in COUNTIES {
        let c = unit(rng, (*county).to_string(), &root.code, true);
        add_official(rng, officials, &c.code, head, true);
        add_official(rng, officials, &c.code, &format!("副{head}"), true);
        add_official(rng, officials, &c.code, CONTACT_TITLE, false);
        add_official(rng, officials, &c.code, "科员", false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_resident_id_is_valid_wenzhou_and_matches_birth_date_and_sex() {
        let f = Fixtures::generate(7);
        assert!(f.citizens.len() >= 1_000);
        for c in &f.citizens {
            let id = ResidentId::parse(&c.id_number).expect("fixture ID must be valid");
            assert!(id.region_code().starts_with("3303"), "{}", c.userid);
            assert_eq!(id.birth_date(), c.birth_date.format("%Y%m%d").to_string());
            assert!((1940..=2008).contains(&c.birth_date.year()));
            assert_eq!(id.is_male(), c.sex == Sex::Male);
            assert_eq!(c.mobile.len(), 11);
            assert!(MOBILE_PREFIXES.iter().any(|p| c.mobile.starts_with(p)));
            assert_eq!(c.idtype, "1");
        }
    }

    #[test]
    fn auth_levels_follow_the_documented_pattern() {
        let f = Fixtures::generate(7);
        assert_eq!(f.citizens[0].auth_level, AuthLevel::Advanced);
        assert_eq!(f.citizens[1].auth_level, AuthLevel::Unverified);
        assert_eq!(f.citizens[2].auth_level, AuthLevel::Basic);
        assert_eq!(f.citizens[11].auth_level, AuthLevel::Unverified);
        assert_eq!(f.citizens[3].auth_level, AuthLevel::Advanced);
        assert_eq!(f.citizens[0].userid, "zlb-u-000001");
    }

    #[test]
    fn every_uscc_is_valid_and_unique_and_people_exist() {
        let f = Fixtures::generate(7);
        assert!(f.enterprises.len() >= 200);
        let mut seen = HashSet::new();
        for e in &f.enterprises {
            let code = Uscc::parse(&e.uscc).expect("fixture USCC must be valid");
            assert!(code.region_code().starts_with("3303"));
            assert!(e.uscc.starts_with("91"));
            assert!(seen.insert(e.uscc.clone()));
            assert!(f.citizen_at(e.legal_representative).is_some());
            assert!(f.citizen_at(e.attn).is_some());
            assert!(e.name.starts_with("温州") && e.name.ends_with("有限公司"));
        }
        assert_eq!(f.enterprises[0].userid, "zlb-e-000001");
        for o in f.organisations.iter().filter(|o| !o.credit_code.is_empty()) {
            Uscc::parse(&o.credit_code).expect("organ credit code must be valid");
        }
    }

    #[test]
    fn departments_hang_under_the_root_and_each_has_officials() {
        let f = Fixtures::generate(7);
        let root = f.root_organisation().expect("a root");
        assert_eq!(root.name, ROOT_ORGANISATION_NAME);
        let departments: Vec<_> = f
            .organisations
            .iter()
            .filter(|o| o.parent_code.as_deref() == Some(root.code.as_str()))
            .collect();
        assert!(departments.len() >= 8 + COUNTIES.len());
        for name in [
            "公安局",
            "人力资源和社会保障局",
            "大数据发展管理局",
            "财政局",
        ] {
            assert!(departments.iter().any(|d| d.name.ends_with(name)), "{name}");
        }
        assert!(f.officials.len() >= 50);
        for d in departments {
            let staff = f
                .officials
                .iter()
                .filter(|o| o.organisation_code == d.code)
                .count();
            assert!(staff >= 3, "{}", d.name);
        }
        let accounts: HashSet<_> = f.officials.iter().map(|o| o.account_id).collect();
        assert_eq!(accounts.len(), f.officials.len());
    }

    #[test]
    fn every_unit_below_the_root_has_a_leader_and_all_but_the_offices_a_contact() {
        let f = Fixtures::generate(7);
        let root = f.root_organisation().expect("a root");
        assert!(
            f.officials_in(&root.code).filter(|o| o.leader).count() >= 2,
            "city leaders"
        );
        let office = f
            .organisations
            .iter()
            .find(|o| o.name == SUPERVISION_OFFICE_NAME)
            .expect("the supervision office");
        assert!(f.officials_in(&office.code).count() >= 3);
        for o in f.organisations.iter().filter(|o| o.parent_code.is_some()) {
            assert!(
                f.officials_in(&o.code).any(|p| p.leader),
                "{} has a leader",
                o.name
            );
            if o.name != SUPERVISION_OFFICE_NAME && o.name != GENERAL_OFFICE_NAME {
                let contacts = f
                    .officials_in(&o.code)
                    .filter(|p| p.job_title == CONTACT_TITLE);
                assert_eq!(contacts.count(), 1, "{} has one contact", o.name);
            }
        }
        let divisions = f
            .organisations
            .iter()
            .filter(|o| o.credit_code.is_empty())
            .count();
        assert_eq!(divisions, 1 + 2 * DEPARTMENTS.len());
    }

    #[test]
    fn the_people_generated_before_the_supervision_units_are_unchanged() {
        // Tests name officials by index; the units added for supervision come after them.
        let f = Fixtures::generate(7);
        assert_eq!(f.officials[0].account_id, 80_000_001);
        assert_eq!(f.officials[0].job_title, "局长");
        assert!(f.officials[0].leader && !f.officials[2].leader);
        assert_eq!(
            f.officials[OFFICIALS_PER_DEPARTMENT * DEPARTMENTS.len()].organisation_code,
            f.organisations[0].code
        );
    }

    #[test]
    fn the_same_seed_gives_the_same_data_and_another_seed_differs() {
        assert_eq!(Fixtures::generate(42), Fixtures::generate(42));
        let (a, b) = (Fixtures::generate(42), Fixtures::generate(43));
        assert_ne!(a.citizens[0].id_number, b.citizens[0].id_number);
        assert_ne!(a, b);
    }
}
