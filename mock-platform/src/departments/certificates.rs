//! E-certificates (电子证照) as the issuing departments sign them: each department has an SM2
//! issuer key (drawn from the platform seed, so every run of a seed publishes the same keys),
//! a Token Status List of 65,536 entries, and one issuance interface per kind it owns
//! ([`Operation::Certificate`]). A certificate's claims come from the same records the
//! department's other interfaces answer (a licence's class is the one the home screen shows),
//! plus the kinds only the vault asks for (职业资格, 购房, 出生医学证明), which some people do not
//! have ("no record").
//!
//! Each issuance takes a free index of the list at random, so the list's order says nothing
//! about who was issued what. Tests revoke or suspend a credential through
//! `POST /__admin/certificates/status`.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use chrono::{Datelike, Duration};
use platform_api::departments::{
    CertificateKind, CertificateQuery, Department, DeptResponse, IssuedCertificate, IssuerKeySet,
    Operation, StatusListToken, CODE_NOT_FOUND, CODE_OK,
};
use rand::Rng;
use serde_json::{json, Value};
use zhelikit_domain::gm::{sm3, Sm2PrivateKey, Sm2PublicKey};
use zhelikit_domain::vault::catalogue::{issuer_id, status_list_uri, ClaimClass};
use zhelikit_domain::vault::correction::{sign_decision, Decision};
use zhelikit_domain::vault::sd_jwt::{issue, Issuance};
use zhelikit_domain::vault::status_list::{self, StatusList, StatusReference, TokenStatus};
use zhelikit_domain::{mask, ResidentId};

use super::record::{day_between, ymd, Person};
use super::{education, human_resources, public_security, transport, CODE_BAD_REQUEST};
use crate::fixtures::pick;
use crate::MockState;

/// Entries of each department's status list.
pub const LIST_ENTRIES: u32 = 65_536;
/// Seconds a verifier may keep a status list.
pub const LIST_TTL_SECS: i64 = 300;
/// A certificate is valid this long after issue…
const VALID_DAYS: i64 = 365;
/// …and should be pulled again after this many days (the department's record may change).
const REFRESH_DAYS: i64 = 30;

/// One department's issuer.
#[derive(Debug)]
pub struct Issuer {
    /// Its department.
    pub department: Department,
    key: Sm2PrivateKey,
    kid: String,
    list: Mutex<(StatusList, HashSet<u32>)>,
    /// The indices issued to each person for each kind: what a correction revokes.
    issued: Mutex<HashMap<(String, CertificateKind), Vec<u32>>>,
}

impl Issuer {
    fn new(seed: u64, department: Department) -> Self {
        // Deterministic per seed and department; a digest that is no valid scalar (almost
        // never) moves on to the next counter.
        let key = (0u32..)
            .find_map(|n| {
                let digest = sm3(format!(
                    "zhelikit-mock-issuer/{seed}/{}/{n}",
                    department.as_str()
                )
                .as_bytes());
                Sm2PrivateKey::from_scalar(&digest).ok()
            })
            .unwrap_or_else(Sm2PrivateKey::generate);
        let kid = format!(
            "{}-{}",
            department.as_str(),
            &key.public_key().thumbprint()[..8]
        );
        Self {
            department,
            key,
            kid,
            list: Mutex::new((StatusList::new(LIST_ENTRIES), HashSet::new())),
            issued: Mutex::default(),
        }
    }

    /// The issuer's public key.
    pub fn public_key(&self) -> Sm2PublicKey {
        self.key.public_key()
    }

    /// The key id its credentials carry.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    fn take_index(&self) -> Option<u32> {
        let mut guard = self.list.lock().unwrap_or_else(|p| p.into_inner());
        let (_, used) = &mut *guard;
        if used.len() as u32 >= LIST_ENTRIES {
            return None;
        }
        let mut rng = rand::thread_rng();
        loop {
            let idx = rng.gen_range(0..LIST_ENTRIES);
            if used.insert(idx) {
                return Some(idx);
            }
        }
    }

    fn record_issued(&self, id_number: &str, kind: CertificateKind, idx: u32) {
        let mut issued = self.issued.lock().unwrap_or_else(|p| p.into_inner());
        issued
            .entry((id_number.to_string(), kind))
            .or_default()
            .push(idx);
    }

    /// Revokes every credential of `kind` issued to `id_number` so far (their data was
    /// wrong); how many.
    pub fn revoke_issued(&self, id_number: &str, kind: CertificateKind) -> usize {
        let indices = self
            .issued
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&(id_number.to_string(), kind))
            .unwrap_or_default();
        for &idx in &indices {
            self.set_status(idx, TokenStatus::Invalid);
        }
        indices.len()
    }

    /// The claims of `jwt` (an issuer-signed JWT) if this issuer signed it.
    pub fn verify_own(&self, jwt: &str) -> Result<Value, String> {
        let jws = zhelikit_domain::gm::Jws::parse(jwt)?;
        jws.verify(&self.public_key()).map_err(|e| e.to_string())?;
        let claims: Value = serde_json::from_slice(&jws.payload).map_err(|e| e.to_string())?;
        if claims["iss"].as_str() != Some(issuer_id(self.department.as_str()).as_str()) {
            return Err("issued by another department".into());
        }
        Ok(claims)
    }

    /// `decision`, signed with this issuer's key.
    pub fn sign_decision(&self, decision: &Decision) -> String {
        sign_decision(decision, &self.key, &self.kid)
    }

    /// A part's `status` (一件事), signed with this issuer's key.
    pub fn sign_intake_status(
        &self,
        status: &zhelikit_domain::forms::submission::IntakeStatus,
    ) -> String {
        zhelikit_domain::forms::submission::sign_intake_status(status, &self.key, &self.kid)
    }

    /// Sets the status of entry `idx`; false outside the list.
    pub fn set_status(&self, idx: u32, status: TokenStatus) -> bool {
        let mut guard = self.list.lock().unwrap_or_else(|p| p.into_inner());
        guard.0.set(idx, status)
    }

    fn signed_list(&self, now: i64) -> String {
        let guard = self.list.lock().unwrap_or_else(|p| p.into_inner());
        status_list::sign(
            &self.key,
            &self.kid,
            &status_list_uri(self.department.as_str()),
            &guard.0,
            now,
            LIST_TTL_SECS,
        )
    }
}

/// Every department's issuer.
#[derive(Debug)]
pub struct Issuers(Vec<Issuer>);

impl Issuers {
    /// The issuers of platform seed `seed`.
    pub fn new(seed: u64) -> Self {
        Self(
            Department::ALL
                .into_iter()
                .map(|d| Issuer::new(seed, d))
                .collect(),
        )
    }

    /// The issuer of `department`.
    pub fn of(&self, department: Department) -> &Issuer {
        // One per department, made from Department::ALL.
        self.0
            .iter()
            .find(|i| i.department == department)
            .unwrap_or(&self.0[0])
    }

    /// The issuer whose id (`iss`) is `issuer`.
    pub fn by_id(&self, issuer: &str) -> Option<&Issuer> {
        self.0
            .iter()
            .find(|i| issuer_id(i.department.as_str()) == issuer)
    }
}

/// The routes of `department`'s issuer: a certificate per kind it owns, its keys, its list.
pub fn routes(department: Department) -> Router<MockState> {
    let mut router = super::corrections::routes(department)
        .merge(super::intake::routes(department))
        .route(
            Operation::IssuerKeys(department).path(),
            post(move |State(state): State<MockState>| async move { keys(&state, department) }),
        )
        .route(
            Operation::StatusList(department).path(),
            post(move |State(state): State<MockState>| async move {
                let token = state
                    .issuers
                    .of(department)
                    .signed_list(state.clock.now().timestamp());
                ok(StatusListToken { token })
            }),
        );
    for kind in CertificateKind::ALL {
        if kind.department() == department.as_str() {
            router = router.route(
                Operation::Certificate(kind).path(),
                post(
                    move |State(state): State<MockState>, body: Bytes| async move {
                        certificate(&state, kind, &body)
                    },
                ),
            );
        }
    }
    router
}

pub(super) fn ok<T: serde::Serialize>(data: T) -> Response {
    Json(DeptResponse {
        code: CODE_OK.into(),
        msg: "成功".into(),
        data: Some(data),
    })
    .into_response()
}

pub(super) fn refuse(code: &str, msg: String) -> Response {
    Json(DeptResponse::<()> {
        code: code.into(),
        msg,
        data: None,
    })
    .into_response()
}

fn keys(state: &MockState, department: Department) -> Response {
    let issuer = state.issuers.of(department);
    let public = issuer.public_key();
    let mut jwk = public.to_jwk();
    jwk.kid = Some(issuer.kid.clone());
    jwk.alg = Some(zhelikit_domain::gm::JWS_ALG.into());
    ok(IssuerKeySet {
        issuer: issuer_id(department.as_str()),
        department: department.as_str().into(),
        keys: vec![jwk],
        spki_pem: [(issuer.kid.clone(), public.to_spki_pem())].into(),
    })
}

fn certificate(state: &MockState, kind: CertificateKind, body: &[u8]) -> Response {
    let query = match serde_json::from_slice::<CertificateQuery>(body) {
        Ok(q) => q,
        Err(e) => {
            return refuse(
                CODE_BAD_REQUEST,
                format!("the body must be JSON {{\"idNumber\", \"holderJwk\"}}: {e}"),
            )
        }
    };
    let Ok(id) = ResidentId::parse(&query.id_number) else {
        return refuse(
            CODE_BAD_REQUEST,
            "idNumber is not a valid resident ID number".into(),
        );
    };
    let holder = match Sm2PublicKey::from_jwk(&query.holder_jwk) {
        Ok(h) => h,
        Err(e) => return refuse(CODE_BAD_REQUEST, format!("holderJwk: {e}")),
    };
    let Some(index) = state.directory.person(id.as_str()) else {
        return refuse(CODE_NOT_FOUND, "无记录".into());
    };
    let Some(claims) = claims_of(state, index, kind) else {
        return refuse(CODE_NOT_FOUND, "无记录".into());
    };
    // What a correction changed in the department's record.
    let today = state.clock.now().date_naive();
    let claims = state
        .corrections
        .corrected(id.as_str(), kind, claims, today);
    let issuer = state.issuers.of(Operation::Certificate(kind).department());
    let Some(idx) = issuer.take_index() else {
        return refuse("50", "status list full".into());
    };
    issuer.record_issued(id.as_str(), kind, idx);
    let now = state.clock.now().timestamp();
    // The catalogue says which claims are raw values (they sit in the credential's raw group).
    let (raw_claims, claims): (Vec<_>, Vec<_>) = claims
        .into_iter()
        .partition(|(name, _)| kind.claim(name).is_some_and(|c| c.class == ClaimClass::Raw));
    let issuance = Issuance {
        issuer: issuer_id(issuer.department.as_str()),
        kid: issuer.kid.clone(),
        vct: kind.vct(),
        iat: now,
        exp: now + VALID_DAYS * 86_400,
        holder,
        status: StatusReference {
            idx,
            uri: status_list_uri(issuer.department.as_str()),
        },
        claims,
        raw_claims,
    };
    match issue(&issuance, &issuer.key) {
        Ok(credential) => ok(IssuedCertificate {
            credential,
            kind,
            expires_at: issuance.exp,
            refresh_after: now + REFRESH_DAYS * 86_400,
        }),
        Err(e) => refuse("50", format!("issuance failed: {e}")),
    }
}

/// The claims of `kind` for the citizen at `index`: the holder's, then the kind's own, in the
/// catalogue's order; `None` when the department holds no such record.
fn claims_of(
    state: &MockState,
    index: usize,
    kind: CertificateKind,
) -> Option<Vec<(String, Value)>> {
    let person = |op: Operation| Person::new(state, index, op);
    let p = person(Operation::Certificate(kind))?;
    let me = p.citizen;
    let adult_at = |years: u32| p.age() >= years;
    let in_wenzhou = p.division.code.starts_with("3303");
    let own: Vec<(&str, Value)> = match kind {
        CertificateKind::ResidentId => {
            let card = public_security::resident_id_card(&person(Operation::ResidentIdCard)?)?;
            vec![
                ("sex", json!(card.sex)),
                ("nation", json!(card.nation)),
                ("birth_date", json!(card.birth_date)),
                ("address_masked", json!(mask::address(&card.address))),
                ("address", json!(card.address)),
                ("issued_by", json!(card.issued_by)),
                ("valid_until", json!(card.valid_until)),
                ("age_over_18", json!(adult_at(18))),
                ("age_over_60", json!(adult_at(60))),
                ("resident_of_wenzhou", json!(in_wenzhou)),
            ]
        }
        CertificateKind::HouseholdRegister => {
            let r = public_security::household_register(&person(Operation::HouseholdRegister)?)?;
            vec![
                ("household_number", json!(r.household_number)),
                ("relation_to_head", json!(r.relation_to_head)),
                ("address_masked", json!(mask::address(&r.address))),
                ("address", json!(r.address)),
                ("police_station", json!(r.police_station)),
                ("resident_of_wenzhou", json!(in_wenzhou)),
            ]
        }
        CertificateKind::DrivingLicence => {
            let l = transport::driving_licence(&person(Operation::DrivingLicence)?)?;
            let valid = l.status == "正常" && l.valid_until.as_str() >= ymd(p.as_of).as_str();
            vec![
                (
                    "licence_number_masked",
                    json!(mask::id_number(&l.licence_number)),
                ),
                ("licence_number", json!(l.licence_number)),
                ("licence_class", json!(l.class)),
                ("valid_until", json!(l.valid_until)),
                ("points_deducted", json!(l.points_deducted)),
                ("licence_valid", json!(valid)),
                ("age_over_18", json!(adult_at(18))),
            ]
        }
        CertificateKind::VehicleLicence => {
            let v = transport::vehicles(&person(Operation::Vehicles)?)?;
            let car = v.vehicles.into_iter().next()?;
            let valid = car.inspection_due.as_str() >= ymd(p.as_of).as_str();
            vec![
                ("plate_masked", json!(mask::card_number(&car.plate))),
                ("plate", json!(car.plate)),
                ("model", json!(car.model)),
                ("inspection_due", json!(car.inspection_due)),
                ("inspection_valid", json!(valid)),
            ]
        }
        CertificateKind::SocialSecurityCard => {
            let c = human_resources::social_security_card(&person(Operation::SocialSecurityCard)?)?;
            vec![
                (
                    "card_number_masked",
                    json!(mask::card_number(&c.card_number)),
                ),
                ("card_number", json!(c.card_number)),
                ("bank", json!(c.bank)),
                ("card_active", json!(c.status == "正常")),
                ("insured", json!(c.status == "正常" && p.age() < 60)),
            ]
        }
        CertificateKind::Education => {
            let e = education::education_record(&person(Operation::EducationRecord)?)?;
            let bachelor = matches!(e.highest_degree.as_str(), "本科" | "硕士" | "博士");
            vec![
                ("highest_degree", json!(e.highest_degree)),
                ("school", json!(e.school)),
                ("graduated_at", json!(e.graduated_at)),
                (
                    "certificate_number_masked",
                    json!(mask::card_number(&e.certificate_number)),
                ),
                ("certificate_number", json!(e.certificate_number)),
                ("bachelor_or_above", json!(bachelor)),
            ]
        }
        CertificateKind::ProfessionalQualification => professional_qualification(&p)?,
        CertificateKind::HomePurchase => home_purchase(&p)?,
        CertificateKind::BirthCertificate => birth_certificate(&p)?,
    };
    let mut claims = vec![
        ("name".to_string(), json!(me.name)),
        ("name_masked".to_string(), json!(mask::name(&me.name))),
        ("id_number".to_string(), json!(me.id_number)),
        (
            "id_number_masked".to_string(),
            json!(mask::id_number(&me.id_number)),
        ),
    ];
    claims.extend(own.into_iter().map(|(k, v)| (k.to_string(), v)));
    Some(claims)
}

/// Qualifications and the levels they come in.
const QUALIFICATIONS: &[(&str, &[&str])] = &[
    ("会计专业技术资格", &["初级", "中级", "高级"]),
    ("教师资格", &["小学", "初级中学", "高级中学"]),
    ("电工", &["五级", "四级", "三级"]),
    ("育婴员", &["五级", "四级"]),
    ("二级建造师", &["二级"]),
    ("执业药师", &["执业"]),
    ("人力资源管理师", &["三级", "二级"]),
];

fn professional_qualification(p: &Person<'_>) -> Option<Vec<(&'static str, Value)>> {
    let mut rng = p.rng();
    if p.age() < 20 || !rng.gen_bool(0.45) {
        return None;
    }
    let (qualification, levels) = QUALIFICATIONS[rng.gen_range(0..QUALIFICATIONS.len())];
    let level = pick(&mut rng, levels);
    let issued = day_between(&mut rng, p.birthday(20), p.as_of - Duration::days(30));
    let number = format!(
        "{}{:010}",
        issued.year(),
        rng.gen_range(0..10_000_000_000u64)
    );
    Some(vec![
        ("qualification", json!(qualification)),
        ("level", json!(level)),
        (
            "certificate_number_masked",
            json!(mask::card_number(&number)),
        ),
        ("certificate_number", json!(number)),
        ("issued_at", json!(ymd(issued))),
        ("qualification_valid", json!(true)),
    ])
}

/// Residential compounds (小区) drawn for home purchases.
const COMPOUNDS: &[&str] = &[
    "锦绣花园",
    "滨江名苑",
    "瓯江府",
    "翠微山庄",
    "世纪广场公寓",
    "杨府山公馆",
    "南塘风貌",
    "绿城玉园",
    "万科城",
    "鹿城广场",
];

fn home_purchase(p: &Person<'_>) -> Option<Vec<(&'static str, Value)>> {
    let mut rng = p.rng();
    if p.age() < 25 || !rng.gen_bool(0.55) {
        return None;
    }
    let address = format!(
        "浙江省温州市{}{}{}幢{}室",
        p.division.name,
        pick(&mut rng, COMPOUNDS),
        rng.gen_range(1..30),
        rng.gen_range(101..2802)
    );
    let registered = day_between(&mut rng, p.birthday(25), p.as_of - Duration::days(60));
    let area = f64::from(rng.gen_range(600..1800)) / 10.0;
    Some(vec![
        ("property_address_masked", json!(mask::address(&address))),
        ("property_address", json!(address)),
        ("floor_area", json!(area)),
        (
            "contract_number",
            json!(format!(
                "WZ{}{:08}",
                registered.year(),
                rng.gen_range(0..100_000_000u32)
            )),
        ),
        ("registered_at", json!(ymd(registered))),
        (
            "owns_home_in_wenzhou",
            json!(p.division.code.starts_with("3303")),
        ),
    ])
}

/// Hospitals where births are registered.
const HOSPITALS: &[&str] = &[
    "温州医科大学附属第一医院",
    "温州医科大学附属第二医院",
    "温州市人民医院",
    "温州市中医院",
    "瑞安市人民医院",
    "乐清市人民医院",
];

/// The 出生医学证明 exists for births from 1996 on.
const BIRTH_CERTIFICATES_FROM: i32 = 1996;

fn birth_certificate(p: &Person<'_>) -> Option<Vec<(&'static str, Value)>> {
    let me = p.citizen;
    if me.birth_date.year() < BIRTH_CERTIFICATES_FROM {
        return None;
    }
    let mut rng = p.rng();
    let number = format!(
        "N{}{:09}",
        &p.division.code[..2],
        rng.gen_range(0..1_000_000_000u32)
    );
    Some(vec![
        ("child_name", json!(me.name)),
        ("birth_date", json!(ymd(me.birth_date))),
        (
            "birth_place",
            json!(format!("浙江省温州市{}", p.division.name)),
        ),
        ("hospital", json!(pick(&mut rng, HOSPITALS))),
        (
            "certificate_number_masked",
            json!(mask::card_number(&number)),
        ),
        ("certificate_number", json!(number)),
        (
            "born_in_wenzhou",
            json!(p.division.code.starts_with("3303")),
        ),
    ])
}

/// Body of `POST /__admin/certificates/status`: the credential (as issued or presented) and its
/// new status (`valid`, `invalid`, `suspended`).
#[derive(Debug, serde::Deserialize)]
pub struct SetStatus {
    /// The credential.
    pub credential: String,
    /// The new status.
    pub status: TokenStatus,
}

/// Sets a credential's status in its issuer's list (tests, the correction flow).
pub fn set_status(state: &MockState, request: &SetStatus) -> Result<(), String> {
    let jwt = request.credential.split('~').next().unwrap_or_default();
    let jws = zhelikit_domain::gm::Jws::parse(jwt)?;
    let claims: Value = serde_json::from_slice(&jws.payload).map_err(|e| e.to_string())?;
    let issuer = claims["iss"]
        .as_str()
        .and_then(|iss| state.issuers.by_id(iss))
        .ok_or("unknown issuer")?;
    let reference: StatusReference =
        serde_json::from_value(claims["status"]["status_list"].clone())
            .map_err(|e| format!("no status reference: {e}"))?;
    if issuer.set_status(reference.idx, request.status) {
        Ok(())
    } else {
        Err(format!("index {} outside the list", reference.idx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuer_keys_follow_the_seed() {
        let a = Issuers::new(7);
        let b = Issuers::new(7);
        let c = Issuers::new(8);
        for d in Department::ALL {
            assert_eq!(a.of(d).public_key(), b.of(d).public_key());
            assert_ne!(a.of(d).public_key(), c.of(d).public_key());
            assert_eq!(a.of(d).department, d);
        }
    }

    #[test]
    fn indices_are_drawn_without_repeats() {
        let issuers = Issuers::new(1);
        let issuer = issuers.of(Department::Transport);
        let drawn: HashSet<u32> = (0..1000).filter_map(|_| issuer.take_index()).collect();
        assert_eq!(drawn.len(), 1000);
    }
}
