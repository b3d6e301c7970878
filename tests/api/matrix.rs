//! Who may do what (docs/DOMAIN.md, "Who may do what"): every endpoint × every role × in and
//! out of scope.
//! Out of scope is 403 where the caller can see the thing exists, 404 otherwise.

use actix_web::http::Method;
use serde_json::{json, Value};

use crate::both_engines;
use crate::fixtures::{active_demo, demo_document, demo_evaluation, get, indicator_by_code, post};
use crate::support::TestApp;

both_engines!(role_matrix);

const ROLES: [&str; 8] = [
    "admin",
    "province_admin",
    "supervisor",
    "agency_officer",
    "viewer",
    "viewer_national",
    "integration",
    "integration_national",
];

/// Statuses when only admins and the province's admin may act, everyone in the province reads.
const MANAGE: [u16; 8] = [200, 200, 403, 403, 403, 403, 403, 403];
const CREATE: [u16; 8] = [201, 201, 403, 403, 403, 403, 403, 403];
const DELETE: [u16; 8] = [204, 204, 403, 403, 403, 403, 403, 403];
const READ: [u16; 8] = [200; 8];
/// Another province's thing: national readers see it, the rest do not.
const OTHER_READ: [u16; 8] = [200, 404, 404, 404, 404, 200, 404, 200];
/// Policy first: a role that may not change such things gets 403 whatever the id; a province
/// admin, who may change them in its own province, cannot see another province's (404).
const OTHER_MANAGE: [u16; 8] = [200, 404, 403, 403, 403, 403, 403, 403];
/// Policy before preconditions and the body: a PATCH without If-Match (428 for those who may
/// change the thing), a body that does not parse (400): 403 for everyone else.
const PRECONDITION: [u16; 8] = [428, 428, 403, 403, 403, 403, 403, 403];
const MALFORMED: [u16; 8] = [400, 400, 403, 403, 403, 403, 403, 403];

type PathFn = Box<dyn Fn(usize) -> String>;
type BodyFn = Box<dyn Fn(usize) -> Option<Value>>;

struct Case {
    what: &'static str,
    method: Method,
    path: PathFn,
    body: BodyFn,
    expected: [u16; 8],
}

/// A token of each of `ROLES`, in order: Yasothon's where the role has a place.
fn role_tokens(app: &TestApp) -> [String; 8] {
    [
        app.admin(),
        app.yasothon_admin(),
        app.token("supervisor", Some("YST-PO")),
        app.token("agency_officer", Some("YST-PEO")),
        app.token("viewer", Some("TH-35")),
        app.token("viewer", None),
        app.token("integration", Some("TH-35")),
        app.token("integration", None),
    ]
}

/// A Samut Prakan evaluation of FY 2565 with one component; returns (evaluation, component).
async fn samut_prakan_draft(app: &TestApp, admin: &str) -> (i64, i64) {
    let province = app.org_id("TH-11").await;
    let evaluation = post(
        app,
        admin,
        "/api/v1/evaluations",
        json!({"province_id": province, "fiscal_year": 2565, "title": "สมุทรปราการ 2565"}),
    )
    .await["id"]
        .as_i64()
        .expect("id");
    let component = post(
        app,
        admin,
        &format!("/api/v1/evaluations/{evaluation}/components"),
        json!({"code": "1", "name": "Performance Base", "weight": 100}),
    )
    .await["id"]
        .as_i64()
        .expect("component");
    (evaluation, component)
}

fn case(
    what: &'static str,
    method: Method,
    path: impl Fn(usize) -> String + 'static,
    body: impl Fn(usize) -> Option<Value> + 'static,
    expected: [u16; 8],
) -> Case {
    Case {
        what,
        method,
        path: Box::new(path),
        body: Box::new(body),
        expected,
    }
}

fn fixed(path: String) -> impl Fn(usize) -> String {
    move |_| path.clone()
}

fn none(_: usize) -> Option<Value> {
    None
}

async fn role_matrix(app: TestApp) {
    let tokens = role_tokens(&app);
    let admin = tokens[0].clone();
    let yst = app.org_id("TH-35").await;
    let peo = app.org_id("YST-PEO").await;
    let pho = app.org_id("YST-PHO").await;
    let spk = app.org_id("SPK-PO").await;
    let spk_province = app.org_id("TH-11").await;
    let users = app
        .get("/api/v1/users?limit=500")
        .bearer(&admin)
        .send()
        .await
        .json();
    let user_id = |name: &str| {
        users["items"]
            .as_array()
            .and_then(|items| items.iter().find(|u| u["username"] == name))
            .and_then(|u| u["id"].as_i64())
            .expect("user")
    };
    let (yst_user, spk_user) = (user_id("health.officer"), user_id("samutprakan.admin"));

    // One Yasothon evaluation with the demo framework, one in Samut Prakan.
    let document_for_put = demo_document();
    let y_eval = demo_evaluation(&app, &admin, Some(("2021-09", "2022-09"))).await;
    let (s_eval, s_component) = samut_prakan_draft(&app, &admin).await;
    let criteria = json!([{"value": 60, "score": 50}, {"value": 80, "score": 100}]);
    let s_indicator = post(&app, &admin, "/api/v1/indicators", json!({"evaluation_id": s_eval, "component_id": s_component, "code": "1.1", "name": "ตัวชี้วัด", "criteria": criteria})).await["id"].as_i64().expect("id");
    let s_assignment = app
        .post(&format!("/api/v1/indicators/{s_indicator}/assignments"))
        .bearer(&admin)
        .json(&json!({"organization_id": spk, "role": "host"}))
        .send()
        .await
        .json()["id"]
        .as_i64()
        .expect("assignment");
    let y_components = get(
        &app,
        &admin,
        &format!("/api/v1/evaluations/{y_eval}/components"),
    )
    .await;
    let y_component = y_components["items"][0]["id"].as_i64().expect("component");
    let y_indicators = get(
        &app,
        &admin,
        &format!("/api/v1/indicators?evaluation_id={y_eval}"),
    )
    .await;
    let y_indicator = y_indicators["items"][0]["id"].as_i64().expect("indicator");
    // Throwaway rows, one per role, for the deletes.
    let districts = [
        "YST-D01", "YST-D02", "YST-D03", "YST-D04", "YST-D05", "YST-D06", "YST-D07", "YST-D08",
    ];
    let mut spare_assignments = Vec::new();
    let mut spare_components = Vec::new();
    for (i, district) in districts.iter().enumerate() {
        let org = app.org_id(district).await;
        let created = app
            .post(&format!("/api/v1/indicators/{y_indicator}/assignments"))
            .bearer(&admin)
            .json(&json!({"organization_id": org, "role": "co_host"}))
            .send()
            .await;
        spare_assignments.push(created.json()["id"].as_i64().expect("assignment"));
        let component = app
            .post(&format!("/api/v1/evaluations/{y_eval}/components"))
            .bearer(&admin)
            .json(&json!({"code": format!("X{i}"), "name": "ชั่วคราว", "weight": 1}))
            .send()
            .await;
        spare_components.push(component.json()["id"].as_i64().expect("component"));
    }
    let y_assignment = spare_assignments[0];
    let mut spare_indicators = Vec::new();
    let mut spare_organizations = Vec::new();
    for i in 0..ROLES.len() {
        let indicator = app.post("/api/v1/indicators").bearer(&admin).json(&json!({"evaluation_id": y_eval, "component_id": y_component, "code": format!("D.{i}"), "name": "ชั่วคราว", "criteria": criteria})).send().await;
        spare_indicators.push(indicator.json()["id"].as_i64().expect("indicator"));
        let organization = app.post("/api/v1/organizations").bearer(&admin).json(&json!({"code": format!("YST-TMP{i}"), "name_th": "หน่วยชั่วคราว", "kind": "agency", "parent_id": yst})).send().await;
        spare_organizations.push(organization.json()["id"].as_i64().expect("organization"));
    }
    let co_host_orgs: Vec<i64> = {
        let mut ids = Vec::new();
        for code in [
            // Not yet assigned to the indicator: one assignment per organization and indicator.
            "YST-PHO",
            "YST-SSO",
            "YST-DLA",
            "YST-NRE",
            "YST-PEO",
            "YST-D09",
            "YST-PO-DD",
            "YST-PO-HR",
        ] {
            ids.push(app.org_id(code).await);
        }
        ids
    };

    // Rounds: one of each province's evaluation, and throwaway ones for the deletes.
    let window = |name: String, start: &str, end: &str| json!({"name": name, "start_period": start, "end_period": end});
    let y_rounds = format!("/api/v1/evaluations/{y_eval}/rounds");
    let s_rounds = format!("/api/v1/evaluations/{s_eval}/rounds");
    let round_id = |created: Value| created["id"].as_i64().expect("round");
    let y_round = round_id(
        post(
            &app,
            &admin,
            &y_rounds,
            window(
                "รอบ 6 เดือน (ก.ย. 2564 – ก.พ. 2565)".into(),
                "2021-09",
                "2022-02",
            ),
        )
        .await,
    );
    let s_round = round_id(
        post(
            &app,
            &admin,
            &s_rounds,
            window(
                "รอบ 6 เดือน (ต.ค. 2564 – มี.ค. 2565)".into(),
                "2021-10",
                "2022-03",
            ),
        )
        .await,
    );
    let s_spare_round = round_id(
        post(
            &app,
            &admin,
            &s_rounds,
            window("สำรอง".into(), "2021-10", "2021-12"),
        )
        .await,
    );
    let mut spare_rounds = Vec::new();
    for i in 0..ROLES.len() {
        let created = post(
            &app,
            &admin,
            &y_rounds,
            window(format!("ชั่วคราว {i}"), "2021-09", "2021-12"),
        )
        .await;
        spare_rounds.push(round_id(created));
    }

    // Snapshots: one published of each province's round.
    let publish =
        |round: i64| format!("/api/v1/rounds/{round}/snapshots?as_of=2022-08-10T03:00:00Z");
    let snapshot_id = |created: Value| created["id"].as_i64().expect("snapshot");
    let mut snapshot_ids = Vec::new();
    for round in [y_round, s_round] {
        let created = app.post(&publish(round)).bearer(&admin).send().await;
        created.assert_status(201);
        snapshot_ids.push(snapshot_id(created.json()));
    }
    let (y_snapshot, s_snapshot) = (snapshot_ids[0], snapshot_ids[1]);

    let cases = vec![
        case("me", Method::GET, fixed("/api/v1/me".into()), none, READ),
        // organizations
        case(
            "list organizations",
            Method::GET,
            fixed("/api/v1/organizations".into()),
            none,
            READ,
        ),
        case(
            "read own-province org",
            Method::GET,
            fixed(format!("/api/v1/organizations/{peo}")),
            none,
            READ,
        ),
        case(
            "read other-province org",
            Method::GET,
            fixed(format!("/api/v1/organizations/{spk}")),
            none,
            OTHER_READ,
        ),
        case(
            "create org in Yasothon",
            Method::POST,
            |_| "/api/v1/organizations".into(),
            move |i| {
                Some(
                    json!({"code": format!("YST-M{i}"), "name_th": "หน่วยทดสอบ", "kind": "agency", "parent_id": yst}),
                )
            },
            CREATE,
        ),
        case(
            "create org in Samut Prakan",
            Method::POST,
            |_| "/api/v1/organizations".into(),
            move |i| {
                Some(
                    json!({"code": format!("SPK-M{i}"), "name_th": "หน่วยทดสอบ", "kind": "agency", "parent_id": spk_province}),
                )
            },
            [201, 422, 403, 403, 403, 403, 403, 403],
        ),
        case(
            "delete org in Yasothon",
            Method::DELETE,
            move |i| format!("/api/v1/organizations/{}", spare_organizations[i]),
            none,
            DELETE,
        ),
        case(
            "patch own-province org",
            Method::PATCH,
            fixed(format!("/api/v1/organizations/{peo}")),
            |_| Some(json!({"name_en": "Energy"})),
            MANAGE,
        ),
        case(
            "patch other-province org",
            Method::PATCH,
            fixed(format!("/api/v1/organizations/{spk}")),
            |_| Some(json!({"name_en": "Office"})),
            OTHER_MANAGE,
        ),
        case(
            "patch a province",
            Method::PATCH,
            fixed(format!("/api/v1/organizations/{yst}")),
            |_| Some(json!({"name_en": "Yasothon"})),
            [200, 403, 403, 403, 403, 403, 403, 403],
        ),
        case(
            "own organization's assignments",
            Method::GET,
            fixed(format!("/api/v1/organizations/{peo}/assignments")),
            none,
            READ,
        ),
        case(
            "another agency's assignments",
            Method::GET,
            fixed(format!("/api/v1/organizations/{pho}/assignments")),
            none,
            READ,
        ),
        case(
            "other-province organization's assignments",
            Method::GET,
            fixed(format!("/api/v1/organizations/{spk}/assignments")),
            none,
            OTHER_READ,
        ),
        // users
        case(
            "list users",
            Method::GET,
            fixed("/api/v1/users".into()),
            none,
            MANAGE,
        ),
        case(
            "create user in Yasothon",
            Method::POST,
            |_| "/api/v1/users".into(),
            move |i| {
                Some(
                    json!({"username": format!("matrix.user{i}"), "display_name": "ก", "password": "a long enough password", "role": "viewer", "organization_id": peo}),
                )
            },
            CREATE,
        ),
        case(
            "read own-province user",
            Method::GET,
            fixed(format!("/api/v1/users/{yst_user}")),
            none,
            MANAGE,
        ),
        case(
            "read other-province user",
            Method::GET,
            fixed(format!("/api/v1/users/{spk_user}")),
            none,
            [200, 404, 403, 403, 403, 403, 403, 403],
        ),
        case(
            "patch own-province user",
            Method::PATCH,
            fixed(format!("/api/v1/users/{yst_user}")),
            |_| Some(json!({"display_name": "สมศรี"})),
            MANAGE,
        ),
        case(
            "patch other-province user",
            Method::PATCH,
            fixed(format!("/api/v1/users/{spk_user}")),
            |_| Some(json!({"display_name": "สมศรี"})),
            [200, 404, 403, 403, 403, 403, 403, 403],
        ),
        // evaluations
        case(
            "list evaluations",
            Method::GET,
            fixed("/api/v1/evaluations".into()),
            none,
            READ,
        ),
        case(
            "read own-province evaluation",
            Method::GET,
            fixed(format!("/api/v1/evaluations/{y_eval}")),
            none,
            READ,
        ),
        case(
            "read other-province evaluation",
            Method::GET,
            fixed(format!("/api/v1/evaluations/{s_eval}")),
            none,
            OTHER_READ,
        ),
        case(
            "create evaluation in Yasothon",
            Method::POST,
            |_| "/api/v1/evaluations".into(),
            move |i| {
                Some(
                    json!({"province_id": yst, "fiscal_year": 2566, "title": format!("ทดสอบ {i}")}),
                )
            },
            CREATE,
        ),
        case(
            "create evaluation in Samut Prakan",
            Method::POST,
            |_| "/api/v1/evaluations".into(),
            move |i| {
                Some(
                    json!({"province_id": spk_province, "fiscal_year": 2566, "title": format!("ทดสอบ {i}")}),
                )
            },
            [201, 422, 403, 403, 403, 403, 403, 403],
        ),
        case(
            "patch own-province evaluation",
            Method::PATCH,
            fixed(format!("/api/v1/evaluations/{y_eval}")),
            |i| Some(json!({"title": format!("ยโสธร {i}")})),
            MANAGE,
        ),
        case(
            "patch other-province evaluation",
            Method::PATCH,
            fixed(format!("/api/v1/evaluations/{s_eval}")),
            |i| Some(json!({"title": format!("สมุทรปราการ {i}")})),
            OTHER_MANAGE,
        ),
        case(
            "read own framework",
            Method::GET,
            fixed(format!("/api/v1/evaluations/{y_eval}/framework")),
            none,
            READ,
        ),
        case(
            "read other framework",
            Method::GET,
            fixed(format!("/api/v1/evaluations/{s_eval}/framework")),
            none,
            OTHER_READ,
        ),
        case(
            "list own components",
            Method::GET,
            fixed(format!("/api/v1/evaluations/{y_eval}/components")),
            none,
            READ,
        ),
        case(
            "list other components",
            Method::GET,
            fixed(format!("/api/v1/evaluations/{s_eval}/components")),
            none,
            OTHER_READ,
        ),
        case(
            "create own component",
            Method::POST,
            fixed(format!("/api/v1/evaluations/{y_eval}/components")),
            |i| Some(json!({"code": format!("R{i}"), "name": "ทดสอบ", "weight": 1})),
            CREATE,
        ),
        case(
            "create other component",
            Method::POST,
            fixed(format!("/api/v1/evaluations/{s_eval}/components")),
            |i| Some(json!({"code": format!("R{i}"), "name": "ทดสอบ", "weight": 1})),
            [201, 404, 403, 403, 403, 403, 403, 403],
        ),
        case(
            "read own component",
            Method::GET,
            fixed(format!("/api/v1/components/{y_component}")),
            none,
            READ,
        ),
        case(
            "patch own component",
            Method::PATCH,
            fixed(format!("/api/v1/components/{y_component}")),
            |i| Some(json!({"name": format!("องค์ประกอบ {i}")})),
            MANAGE,
        ),
        case(
            "patch other component",
            Method::PATCH,
            fixed(format!("/api/v1/components/{s_component}")),
            |i| Some(json!({"name": format!("องค์ประกอบ {i}")})),
            OTHER_MANAGE,
        ),
        case(
            "delete own component",
            Method::DELETE,
            move |i| format!("/api/v1/components/{}", spare_components[i]),
            none,
            DELETE,
        ),
        // indicators
        case(
            "list indicators",
            Method::GET,
            fixed("/api/v1/indicators".into()),
            none,
            READ,
        ),
        case(
            "read own indicator",
            Method::GET,
            fixed(format!("/api/v1/indicators/{y_indicator}")),
            none,
            READ,
        ),
        case(
            "read other indicator",
            Method::GET,
            fixed(format!("/api/v1/indicators/{s_indicator}")),
            none,
            OTHER_READ,
        ),
        case(
            "create own indicator",
            Method::POST,
            |_| "/api/v1/indicators".into(),
            move |i| {
                Some(
                    json!({"evaluation_id": y_eval, "component_id": y_component, "code": format!("M.{i}"), "name": "ทดสอบ", "criteria": [{"value": 1, "score": 1}, {"value": 2, "score": 2}]}),
                )
            },
            CREATE,
        ),
        case(
            "create other indicator",
            Method::POST,
            |_| "/api/v1/indicators".into(),
            move |i| {
                Some(
                    json!({"evaluation_id": s_eval, "component_id": s_component, "code": format!("M.{i}"), "name": "ทดสอบ", "criteria": [{"value": 1, "score": 1}, {"value": 2, "score": 2}]}),
                )
            },
            [201, 422, 403, 403, 403, 403, 403, 403],
        ),
        case(
            "patch own indicator",
            Method::PATCH,
            fixed(format!("/api/v1/indicators/{y_indicator}")),
            |_| Some(json!({"target": 75})),
            MANAGE,
        ),
        // Policy first, then preconditions, then the body: a role that may not change
        // indicators gets 403 whatever it sends, before a missing If-Match (428) or a body
        // that does not parse (400).
        case(
            "patch own indicator without If-Match",
            Method::PATCH,
            fixed(format!("/api/v1/indicators/{y_indicator}")),
            |_| Some(json!({"target": 75})),
            PRECONDITION,
        ),
        case(
            "patch own indicator with a malformed body",
            Method::PATCH,
            fixed(format!("/api/v1/indicators/{y_indicator}")),
            |_| Some(json!({"target": "high"})),
            MALFORMED,
        ),
        case(
            "create own indicator with a malformed body",
            Method::POST,
            |_| "/api/v1/indicators".into(),
            move |_| Some(json!({"evaluation_id": y_eval, "code": 7})),
            MALFORMED,
        ),
        case(
            "patch other indicator",
            Method::PATCH,
            fixed(format!("/api/v1/indicators/{s_indicator}")),
            |_| Some(json!({"target": 75})),
            OTHER_MANAGE,
        ),
        case(
            "delete own indicator",
            Method::DELETE,
            move |i| format!("/api/v1/indicators/{}", spare_indicators[i]),
            none,
            DELETE,
        ),
        case(
            "list own assignments",
            Method::GET,
            fixed(format!("/api/v1/indicators/{y_indicator}/assignments")),
            none,
            READ,
        ),
        case(
            "list other assignments",
            Method::GET,
            fixed(format!("/api/v1/indicators/{s_indicator}/assignments")),
            none,
            OTHER_READ,
        ),
        case(
            "create own assignment",
            Method::POST,
            fixed(format!("/api/v1/indicators/{y_indicator}/assignments")),
            move |i| Some(json!({"organization_id": co_host_orgs[i], "role": "supervisor"})),
            CREATE,
        ),
        case(
            "read own assignment",
            Method::GET,
            fixed(format!("/api/v1/assignments/{y_assignment}")),
            none,
            READ,
        ),
        case(
            "patch own assignment",
            Method::PATCH,
            fixed(format!("/api/v1/assignments/{y_assignment}")),
            |_| Some(json!({"contact_phone": "045-711111"})),
            MANAGE,
        ),
        case(
            "patch own assignment without If-Match",
            Method::PATCH,
            fixed(format!("/api/v1/assignments/{y_assignment}")),
            |_| Some(json!({"contact_phone": "045-711111"})),
            PRECONDITION,
        ),
        case(
            "patch own assignment with a malformed body",
            Method::PATCH,
            fixed(format!("/api/v1/assignments/{y_assignment}")),
            |_| Some(json!({"baseline": "much"})),
            MALFORMED,
        ),
        case(
            "create own assignment with a malformed body",
            Method::POST,
            fixed(format!("/api/v1/indicators/{y_indicator}/assignments")),
            |_| Some(json!({"organization_id": "YST-PEO", "role": "host"})),
            MALFORMED,
        ),
        case(
            "delete own assignment",
            Method::DELETE,
            move |i| format!("/api/v1/assignments/{}", spare_assignments[i]),
            none,
            DELETE,
        ),
        case(
            "patch other assignment",
            Method::PATCH,
            fixed(format!("/api/v1/assignments/{s_assignment}")),
            |_| Some(json!({"contact_phone": "02-7021111"})),
            OTHER_MANAGE,
        ),
        case(
            "put own framework",
            Method::PUT,
            fixed(format!("/api/v1/evaluations/{y_eval}/framework")),
            move |_| Some(document_for_put.clone()),
            MANAGE,
        ),
        case(
            "put other framework",
            Method::PUT,
            fixed(format!("/api/v1/evaluations/{s_eval}/framework")),
            |_| Some(json!({"components": []})),
            OTHER_MANAGE,
        ),
        // rounds
        case(
            "list own rounds",
            Method::GET,
            fixed(y_rounds.clone()),
            none,
            READ,
        ),
        case(
            "list other rounds",
            Method::GET,
            fixed(s_rounds.clone()),
            none,
            OTHER_READ,
        ),
        case(
            "create own round",
            Method::POST,
            fixed(y_rounds.clone()),
            move |i| Some(window(format!("รอบ 12 เดือน {i}"), "2021-09", "2022-08")),
            CREATE,
        ),
        case(
            "create other round",
            Method::POST,
            fixed(s_rounds.clone()),
            move |i| Some(window(format!("รอบ 12 เดือน {i}"), "2021-10", "2022-09")),
            [201, 404, 403, 403, 403, 403, 403, 403],
        ),
        case(
            "create own round with a malformed body",
            Method::POST,
            fixed(y_rounds.clone()),
            |_| Some(json!({"name": 6, "start_period": "2021-09", "end_period": "2022-02"})),
            MALFORMED,
        ),
        case(
            "read own round",
            Method::GET,
            fixed(format!("/api/v1/rounds/{y_round}")),
            none,
            READ,
        ),
        case(
            "read other round",
            Method::GET,
            fixed(format!("/api/v1/rounds/{s_round}")),
            none,
            OTHER_READ,
        ),
        case(
            "patch own round",
            Method::PATCH,
            fixed(format!("/api/v1/rounds/{y_round}")),
            |i| Some(json!({"name": format!("รอบแรก {i}")})),
            MANAGE,
        ),
        case(
            "patch own round without If-Match",
            Method::PATCH,
            fixed(format!("/api/v1/rounds/{y_round}")),
            |_| Some(json!({"end_period": "2022-03"})),
            PRECONDITION,
        ),
        case(
            "patch own round with a malformed body",
            Method::PATCH,
            fixed(format!("/api/v1/rounds/{y_round}")),
            |_| Some(json!({"end_period": 202203})),
            MALFORMED,
        ),
        case(
            "patch other round",
            Method::PATCH,
            fixed(format!("/api/v1/rounds/{s_round}")),
            |i| Some(json!({"name": format!("รอบแรก {i}")})),
            OTHER_MANAGE,
        ),
        case(
            "delete own round",
            Method::DELETE,
            move |i| format!("/api/v1/rounds/{}", spare_rounds[i]),
            none,
            DELETE,
        ),
        case(
            "delete other round",
            Method::DELETE,
            fixed(format!("/api/v1/rounds/{s_spare_round}")),
            none,
            [204, 404, 403, 403, 403, 403, 403, 403],
        ),
        // rankings: every caller reads them (each sees the rows in its scope; a province's
        // callers only its own); never a 403 or 404.
        case(
            "rankings",
            Method::GET,
            fixed(format!(
                "/api/v1/fiscal-years/2565/rankings?round_name={}",
                crate::support::encode("รอบ 6 เดือน (ก.ย. 2564 – ก.พ. 2565)")
            )),
            none,
            READ,
        ),
        case(
            "rankings without round_name",
            Method::GET,
            fixed("/api/v1/fiscal-years/2565/rankings".into()),
            none,
            [400; 8],
        ),
        // snapshots
        case(
            "publish own snapshot",
            Method::POST,
            fixed(publish(y_round)),
            none,
            CREATE,
        ),
        case(
            "publish other snapshot",
            Method::POST,
            fixed(publish(s_round)),
            none,
            [201, 404, 403, 403, 403, 403, 403, 403],
        ),
        case(
            "list own snapshots",
            Method::GET,
            fixed(format!("/api/v1/rounds/{y_round}/snapshots")),
            none,
            READ,
        ),
        case(
            "list other snapshots",
            Method::GET,
            fixed(format!("/api/v1/rounds/{s_round}/snapshots")),
            none,
            OTHER_READ,
        ),
        case(
            "read own snapshot",
            Method::GET,
            fixed(format!("/api/v1/snapshots/{y_snapshot}")),
            none,
            READ,
        ),
        case(
            "read other snapshot",
            Method::GET,
            fixed(format!("/api/v1/snapshots/{s_snapshot}")),
            none,
            OTHER_READ,
        ),
        case(
            "audit events",
            Method::GET,
            fixed("/api/v1/audit-events".into()),
            none,
            MANAGE,
        ),
    ];

    let mut checked = 0;
    for case in &cases {
        for (index, token) in tokens.iter().enumerate() {
            let path = (case.path)(index);
            let mut request = app.request(case.method.clone(), &path).bearer(token);
            if case.method == Method::PATCH && !case.what.ends_with("without If-Match") {
                request = request.header("If-Match", "*");
            }
            if let Some(body) = (case.body)(index) {
                request = request.json(&body);
            }
            let response = request.send().await;
            assert_eq!(
                response.status.as_u16(),
                case.expected[index],
                "{} as {}: {} {path}: {}",
                case.what,
                ROLES[index],
                case.method,
                String::from_utf8_lossy(&response.body)
            );
            checked += 1;
        }
    }
    assert!(checked >= 400, "{checked} checks");
}

both_engines!(checks_run_policy_first_then_preconditions_then_the_body);

/// What, method, path, `If-Match`, raw JSON body, and the status per role.
type OrderCase = (
    &'static str,
    Method,
    String,
    Option<&'static str>,
    &'static str,
    [u16; 8],
);

/// A change request that is wrong in several ways at once answers for the first check in
/// the order: the role (403) → the row (404) → the object (403) → `If-Match` (428/412) → the
/// body (400) → the rules (409/422). A viewer's PATCH without `If-Match`, or with a
/// malformed body, is a 403.
async fn checks_run_policy_first_then_preconditions_then_the_body(app: TestApp) {
    let tokens = role_tokens(&app);
    let admin = tokens[0].clone();
    let y_eval = demo_evaluation(&app, &admin, Some(("2021-09", "2022-09"))).await;
    let (s_eval, s_component) = samut_prakan_draft(&app, &admin).await;
    let y_component = get(
        &app,
        &admin,
        &format!("/api/v1/evaluations/{y_eval}/components"),
    )
    .await["items"][0]["id"]
        .as_i64()
        .expect("component");

    const OWN_NO_IF_MATCH: [u16; 8] = [428, 428, 403, 403, 403, 403, 403, 403];
    const OWN_STALE: [u16; 8] = [412, 412, 403, 403, 403, 403, 403, 403];
    const OWN_MALFORMED: [u16; 8] = [400, 400, 403, 403, 403, 403, 403, 403];
    const OTHER_NO_IF_MATCH: [u16; 8] = [428, 404, 403, 403, 403, 403, 403, 403];
    const OTHER_MALFORMED: [u16; 8] = [400, 404, 403, 403, 403, 403, 403, 403];
    let malformed = "{\"title\": ";
    let evaluation = format!("/api/v1/evaluations/{y_eval}");
    let other_evaluation = format!("/api/v1/evaluations/{s_eval}");
    let component = format!("/api/v1/components/{y_component}");
    let other_component = format!("/api/v1/components/{s_component}");
    let cases: Vec<OrderCase> = vec![
        (
            "patch evaluation without If-Match",
            Method::PATCH,
            evaluation.clone(),
            None,
            "{\"title\": \"x\"}",
            OWN_NO_IF_MATCH,
        ),
        (
            "patch evaluation stale, malformed",
            Method::PATCH,
            evaluation.clone(),
            Some("\"99\""),
            malformed,
            OWN_STALE,
        ),
        (
            "patch evaluation malformed",
            Method::PATCH,
            evaluation.clone(),
            Some("*"),
            malformed,
            OWN_MALFORMED,
        ),
        (
            "patch evaluation, not even JSON",
            Method::PATCH,
            evaluation.clone(),
            Some("*"),
            "[",
            OWN_MALFORMED,
        ),
        (
            "patch other evaluation without If-Match",
            Method::PATCH,
            other_evaluation.clone(),
            None,
            malformed,
            OTHER_NO_IF_MATCH,
        ),
        (
            "patch other evaluation malformed",
            Method::PATCH,
            other_evaluation,
            Some("*"),
            malformed,
            OTHER_MALFORMED,
        ),
        (
            "patch component without If-Match",
            Method::PATCH,
            component.clone(),
            None,
            malformed,
            OWN_NO_IF_MATCH,
        ),
        (
            "patch component stale, malformed",
            Method::PATCH,
            component.clone(),
            Some("\"99\""),
            malformed,
            OWN_STALE,
        ),
        (
            "patch component malformed",
            Method::PATCH,
            component.clone(),
            Some("*"),
            malformed,
            OWN_MALFORMED,
        ),
        (
            "patch other component without If-Match",
            Method::PATCH,
            other_component.clone(),
            None,
            malformed,
            OTHER_NO_IF_MATCH,
        ),
        (
            "patch other component malformed",
            Method::PATCH,
            other_component.clone(),
            Some("*"),
            malformed,
            OTHER_MALFORMED,
        ),
        // A component with indicators: 409 once every earlier check passes; a stale ETag first.
        (
            "delete used component, stale",
            Method::DELETE,
            component,
            Some("\"99\""),
            "",
            OWN_STALE,
        ),
        (
            "delete other component, stale",
            Method::DELETE,
            other_component,
            Some("\"99\""),
            "",
            [412, 404, 403, 403, 403, 403, 403, 403],
        ),
        (
            "create component malformed",
            Method::POST,
            format!("{evaluation}/components"),
            None,
            malformed,
            OWN_MALFORMED,
        ),
        (
            "create other component malformed",
            Method::POST,
            format!("/api/v1/evaluations/{s_eval}/components"),
            None,
            malformed,
            OTHER_MALFORMED,
        ),
        (
            "put framework malformed",
            Method::PUT,
            format!("{evaluation}/framework"),
            None,
            malformed,
            OWN_MALFORMED,
        ),
        (
            "put other framework malformed",
            Method::PUT,
            format!("/api/v1/evaluations/{s_eval}/framework"),
            None,
            malformed,
            OTHER_MALFORMED,
        ),
    ];
    for (what, method, path, if_match, body, expected) in &cases {
        for (index, token) in tokens.iter().enumerate() {
            let mut request = app.request(method.clone(), path).bearer(token);
            if let Some(etag) = if_match {
                request = request.header("If-Match", etag);
            }
            if !body.is_empty() {
                request = request.raw("application/json", body.to_string());
            }
            let response = request.send().await;
            assert_eq!(
                response.status.as_u16(),
                expected[index],
                "{what} as {}: {method} {path}: {}",
                ROLES[index],
                String::from_utf8_lossy(&response.body)
            );
        }
    }
    let unchanged = app.get(&evaluation).bearer(&admin).send().await.json();
    assert_eq!(unchanged["version"], 1, "nothing changed");
}

both_engines!(report_matrix);

// The reports' rows (docs/DOMAIN.md, "Who may do what", "Reports and their workflow"). The
// matrix's agency officer is YST-PEO's and its supervisor is YST-PO, which supervises every
// demo indicator; "own" below is a report of YST-PEO, "another agency's" one of YST-PHO (same
// province), "another province's" one of SPK-PO in Samut Prakan.

/// Reading a report of YST-PEO, or the list: everyone in the province, the officer its own.
const REPORT_READ: [u16; 8] = [200; 8];
/// Reading another agency's report of the province: the officer must not learn it exists.
const REPORT_READ_OTHER_AGENCY: [u16; 8] = [200, 200, 200, 404, 200, 200, 200, 200];
/// Filing for YST-PEO: its officer, the province's admin, an admin; the other roles never
/// file (403 before anything is read).
const FILE_OWN: [u16; 8] = [201, 201, 403, 201, 403, 403, 403, 403];
/// Filing for another agency of the province: the officer sees it and may not (403).
const FILE_OTHER_AGENCY: [u16; 8] = [201, 201, 403, 403, 403, 403, 403, 403];
/// Filing against another province's indicator: a body naming what the caller cannot see is a
/// 422 naming `indicator_id` (like creating an organization under another province).
const FILE_OTHER_PROVINCE: [u16; 8] = [201, 422, 403, 422, 403, 403, 403, 403];
/// Policy before the body: a malformed body is a 400 for a role that files, 403 otherwise.
const FILE_MALFORMED: [u16; 8] = [400, 400, 403, 400, 403, 403, 403, 403];
/// Editing, submitting (`status` 200) or deleting (204) a report of YST-PEO: its reporters.
const REPORTER_OWN: [u16; 8] = [200, 200, 403, 200, 403, 403, 403, 403];
const REPORTER_OWN_DELETE: [u16; 8] = [204, 204, 403, 204, 403, 403, 403, 403];
/// The same for another agency's report: the officer passes the role check and cannot see
/// the report (404).
const REPORTER_OTHER_AGENCY: [u16; 8] = [200, 200, 403, 404, 403, 403, 403, 403];
const REPORTER_OTHER_AGENCY_DELETE: [u16; 8] = [204, 204, 403, 404, 403, 403, 403, 403];
/// The same for another province's report: only an admin; province-scoped reporters do not
/// see it (404).
const REPORTER_OTHER_PROVINCE: [u16; 8] = [200, 404, 403, 404, 403, 403, 403, 403];
const REPORTER_OTHER_PROVINCE_DELETE: [u16; 8] = [204, 404, 403, 404, 403, 403, 403, 403];
/// A PATCH without If-Match (428) or with a malformed body (400), for the reporters only.
const REPORTER_PRECONDITION: [u16; 8] = [428, 428, 403, 428, 403, 403, 403, 403];
const REPORTER_MALFORMED: [u16; 8] = [400, 400, 403, 400, 403, 403, 403, 403];
/// Approving or returning a report of the province: the admins and YST-PO's supervisor; the
/// officer never reviews (403 whatever the id).
/// Batch intake: admins, province admins, officers (own organization) and integrations.
const IMPORT: [u16; 8] = [200, 200, 403, 200, 403, 403, 200, 200];
/// Another province's evaluation: only national importers see it.
const IMPORT_OTHER_PROVINCE: [u16; 8] = [200, 404, 403, 404, 403, 403, 404, 200];
/// Policy before the body: a role that never imports gets 403 whatever it sends.
const IMPORT_MALFORMED: [u16; 8] = [400, 400, 403, 400, 403, 403, 400, 400];
/// Another agency's work list: it exists and is in view, but it is not the officer's own.
const WORK_LIST_OTHER_AGENCY: [u16; 8] = [200, 200, 200, 403, 200, 200, 200, 200];
const REVIEW: [u16; 8] = [200, 200, 200, 403, 403, 403, 403, 403];
/// Another province's report: only an admin; province-scoped reviewers do not see it (404).
const REVIEW_OTHER_PROVINCE: [u16; 8] = [200, 404, 404, 403, 403, 403, 403, 403];
/// A return with a stale If-Match (412) or a malformed body (400), for the reviewers only.
const REVIEW_STALE: [u16; 8] = [412, 412, 412, 403, 403, 403, 403, 403];
const REVIEW_MALFORMED: [u16; 8] = [400, 400, 400, 403, 403, 403, 403, 403];

/// Free (indicator, period) places of one organization, handed out one per new report.
struct Places {
    organization: i64,
    free: Vec<(i64, String)>,
}

impl Places {
    fn new(organization: i64, indicators: &[i64], periods: &[String]) -> Self {
        let free = indicators
            .iter()
            .flat_map(|i| periods.iter().map(move |p| (*i, p.clone())))
            .collect();
        Self { organization, free }
    }

    fn body(&mut self, status: &str) -> Value {
        let (indicator, period) = self.free.pop().expect("a free place");
        json!({"indicator_id": indicator, "organization_id": self.organization,
               "period": period, "value": 1000, "status": status})
    }
}

/// A report filed by the admin at the next free place; its id.
async fn file(app: &TestApp, admin: &str, places: &mut Places, status: &str) -> i64 {
    post(app, admin, "/api/v1/submissions", places.body(status)).await["id"]
        .as_i64()
        .expect("report")
}

/// A fresh report for each role expected to change it (2xx), the shared one for the refused
/// roles (a refusal changes nothing): each case runs against state no other role touched.
async fn per_role(
    app: &TestApp,
    admin: &str,
    places: &mut Places,
    status: &str,
    expected: [u16; 8],
    shared: i64,
) -> Vec<i64> {
    let mut ids = Vec::new();
    for code in expected {
        ids.push(if code < 300 {
            file(app, admin, places, status).await
        } else {
            shared
        });
    }
    ids
}

/// A new report's body for each role expected to file it; a free place either way.
fn bodies(places: &mut Places, expected: [u16; 8]) -> Vec<Value> {
    expected
        .iter()
        .map(|code| match code {
            201 => places.body("draft"),
            _ => json!({"indicator_id": places.free[0].0, "organization_id": places.organization,
                        "period": places.free[0].1, "value": 1000}),
        })
        .collect()
}

fn at(ids: Vec<i64>, suffix: &'static str) -> impl Fn(usize) -> String {
    move |i| format!("/api/v1/submissions/{}{suffix}", ids[i])
}

fn body_at(bodies: Vec<Value>) -> impl Fn(usize) -> Option<Value> {
    move |i| Some(bodies[i].clone())
}

/// An active Samut Prakan evaluation with one monthly indicator hosted by SPK-PO; returns
/// (evaluation, indicator).
async fn samut_prakan_active(app: &TestApp, admin: &str) -> (i64, i64) {
    let (evaluation, component) = samut_prakan_draft(app, admin).await;
    let criteria = json!([{"value": 60, "score": 50}, {"value": 80, "score": 100}]);
    let indicator = post(app, admin, "/api/v1/indicators", json!({"evaluation_id": evaluation, "component_id": component, "code": "1.1", "name": "ตัวชี้วัด", "criteria": criteria})).await["id"].as_i64().expect("indicator");
    let spk = app.org_id("SPK-PO").await;
    post(
        app,
        admin,
        &format!("/api/v1/indicators/{indicator}/assignments"),
        json!({"organization_id": spk, "role": "host"}),
    )
    .await;
    let activated = app
        .patch(&format!("/api/v1/evaluations/{evaluation}"))
        .bearer(admin)
        .header("If-Match", "*")
        .json(&json!({"status": "active"}))
        .send()
        .await;
    activated.assert_status(200);
    (evaluation, indicator)
}

/// Every `/submissions…` operation × the 8 roles × a report of the officer's own
/// organization, of another agency of the province, and of another province.
async fn report_matrix(app: TestApp) {
    let tokens = role_tokens(&app);
    let admin = tokens[0].clone();
    let y_eval = active_demo(&app, &admin).await;
    let e1 = indicator_by_code(&app, &admin, y_eval, "E.1").await["id"]
        .as_i64()
        .expect("E.1");
    let e2 = indicator_by_code(&app, &admin, y_eval, "E.2").await["id"]
        .as_i64()
        .expect("E.2");
    let (s_eval, s_indicator) = samut_prakan_active(&app, &admin).await;
    let (peo, pho, spk) = (
        app.org_id("YST-PEO").await,
        app.org_id("YST-PHO").await,
        app.org_id("SPK-PO").await,
    );
    let months = |first: u32, year: u32, count: u32| -> Vec<String> {
        (0..count)
            .map(|k| {
                let m = first - 1 + k;
                format!("{}-{:02}", year + m / 12, m % 12 + 1)
            })
            .collect()
    };
    // Yasothon's span is 2021-09 … 2022-09; Samut Prakan's the fiscal year 2021-10 … 2022-09.
    let mut own = Places::new(peo, &[e1, e2], &months(9, 2021, 13));
    let mut other = Places::new(pho, &[e1, e2], &months(9, 2021, 13));
    let mut far = Places::new(spk, &[s_indicator], &months(10, 2021, 12));

    let own_draft = file(&app, &admin, &mut own, "draft").await;
    let other_draft = file(&app, &admin, &mut other, "draft").await;
    let far_draft = file(&app, &admin, &mut far, "draft").await;

    const OTHER_PROVINCE: &str = "another province's";
    let mut cases = vec![
        case(
            "list reports",
            Method::GET,
            fixed("/api/v1/submissions".into()),
            none,
            REPORT_READ,
        ),
        case(
            "file own report",
            Method::POST,
            fixed("/api/v1/submissions".into()),
            body_at(bodies(&mut own, FILE_OWN)),
            FILE_OWN,
        ),
        case(
            "file another agency's report",
            Method::POST,
            fixed("/api/v1/submissions".into()),
            body_at(bodies(&mut other, FILE_OTHER_AGENCY)),
            FILE_OTHER_AGENCY,
        ),
        case(
            "file another province's report",
            Method::POST,
            fixed("/api/v1/submissions".into()),
            body_at(bodies(&mut far, FILE_OTHER_PROVINCE)),
            FILE_OTHER_PROVINCE,
        ),
        case(
            "file own report with a malformed body",
            Method::POST,
            fixed("/api/v1/submissions".into()),
            move |_| Some(json!({"indicator_id": "E.1", "organization_id": peo})),
            FILE_MALFORMED,
        ),
    ];
    // The same operations on each report; writes that succeed get a fresh report per role.
    for (whose, shared, places, read, reporter, delete, review) in [
        (
            "own",
            own_draft,
            &mut own,
            REPORT_READ,
            REPORTER_OWN,
            REPORTER_OWN_DELETE,
            REVIEW,
        ),
        (
            "another agency's",
            other_draft,
            &mut other,
            REPORT_READ_OTHER_AGENCY,
            REPORTER_OTHER_AGENCY,
            REPORTER_OTHER_AGENCY_DELETE,
            REVIEW,
        ),
        (
            OTHER_PROVINCE,
            far_draft,
            &mut far,
            OTHER_READ,
            REPORTER_OTHER_PROVINCE,
            REPORTER_OTHER_PROVINCE_DELETE,
            REVIEW_OTHER_PROVINCE,
        ),
    ] {
        let what = |operation: &str| -> &'static str {
            Box::leak(format!("{operation} {whose} report").into_boxed_str())
        };
        let deletes = per_role(&app, &admin, places, "draft", delete, shared).await;
        let submits = per_role(&app, &admin, places, "draft", reporter, shared).await;
        let approvals = per_role(&app, &admin, places, "submitted", review, shared).await;
        let returns = per_role(&app, &admin, places, "submitted", review, shared).await;
        let path = format!("/api/v1/submissions/{shared}");
        cases.extend([
            case(what("read"), Method::GET, fixed(path.clone()), none, read),
            case(
                what("history of"),
                Method::GET,
                fixed(format!("{path}/history")),
                none,
                read,
            ),
            case(
                what("edit"),
                Method::PATCH,
                fixed(path.clone()),
                |i| Some(json!({"narrative": format!("แก้ไขครั้งที่ {i}")})),
                reporter,
            ),
            case(
                what("delete"),
                Method::DELETE,
                at(deletes, ""),
                none,
                delete,
            ),
            case(
                what("submit"),
                Method::POST,
                at(submits, "/submit"),
                none,
                reporter,
            ),
            case(
                what("approve"),
                Method::POST,
                at(approvals, "/approve"),
                none,
                review,
            ),
            case(
                what("return"),
                Method::POST,
                at(returns, "/return"),
                |_| Some(json!({"comment": "โปรดแนบใบแจ้งหนี้ค่าไฟฟ้า"})),
                review,
            ),
        ]);
    }
    // Work lists and overdue lists: an officer reads its own organization's work list only.
    cases.extend([
        case(
            "read own work list",
            Method::GET,
            fixed(format!("/api/v1/organizations/{peo}/due")),
            none,
            REPORT_READ,
        ),
        case(
            "read another agency's work list",
            Method::GET,
            fixed(format!("/api/v1/organizations/{pho}/due")),
            none,
            WORK_LIST_OTHER_AGENCY,
        ),
        case(
            "read another province's work list",
            Method::GET,
            fixed(format!("/api/v1/organizations/{spk}/due")),
            none,
            OTHER_READ,
        ),
        case(
            "read the overdue list",
            Method::GET,
            fixed(format!("/api/v1/evaluations/{y_eval}/overdue")),
            none,
            REPORT_READ,
        ),
        case(
            "read the overdue list as CSV",
            Method::GET,
            fixed(format!("/api/v1/evaluations/{y_eval}/overdue?format=csv")),
            none,
            REPORT_READ,
        ),
        case(
            "read another province's overdue list",
            Method::GET,
            fixed(format!("/api/v1/evaluations/{s_eval}/overdue")),
            none,
            OTHER_READ,
        ),
    ]);
    // Batch intake: the importing roles, in scope (an officer for its own organization).
    cases.extend([
        case(
            "import a batch",
            Method::POST,
            fixed("/api/v1/submissions/batch".into()),
            move |_| {
                Some(json!({"evaluation_id": y_eval, "items": [
                    {"indicator_code": "E.1", "organization_code": "YST-PEO", "period": "2022-05", "value": 1}
                ]}))
            },
            IMPORT,
        ),
        case(
            "import a batch into another province's evaluation",
            Method::POST,
            fixed("/api/v1/submissions/batch".into()),
            move |_| Some(json!({"evaluation_id": s_eval, "items": []})),
            IMPORT_OTHER_PROVINCE,
        ),
        case(
            "import a batch with a malformed body",
            Method::POST,
            fixed("/api/v1/submissions/batch".into()),
            |_| Some(json!({"items": "many"})),
            IMPORT_MALFORMED,
        ),
    ]);
    // Policy before preconditions and the body, on YST-PEO's draft.
    let own_path = format!("/api/v1/submissions/{own_draft}");
    cases.extend([
        case(
            "edit own report without If-Match",
            Method::PATCH,
            fixed(own_path.clone()),
            |_| Some(json!({"narrative": "ก"})),
            REPORTER_PRECONDITION,
        ),
        case(
            "edit own report with a malformed body",
            Method::PATCH,
            fixed(own_path.clone()),
            |_| Some(json!({"value": "much"})),
            REPORTER_MALFORMED,
        ),
        case(
            "return own report with a stale If-Match",
            Method::POST,
            fixed(format!("{own_path}/return")),
            |_| Some(json!({"comment": "โปรดแก้ไข"})),
            REVIEW_STALE,
        ),
        case(
            "return own report with a malformed body",
            Method::POST,
            fixed(format!("{own_path}/return")),
            |_| Some(json!({"comment": 5})),
            REVIEW_MALFORMED,
        ),
    ]);

    let mut checked = 0;
    for case in &cases {
        for (index, token) in tokens.iter().enumerate() {
            let path = (case.path)(index);
            let mut request = app.request(case.method.clone(), &path).bearer(token);
            if case.method == Method::PATCH && !case.what.ends_with("without If-Match") {
                request = request.header("If-Match", "*");
            }
            if case.what.ends_with("with a stale If-Match") {
                request = request.header("If-Match", "\"99\"");
            }
            if let Some(body) = (case.body)(index) {
                request = request.json(&body);
            }
            let response = request.send().await;
            assert_eq!(
                response.status.as_u16(),
                case.expected[index],
                "{} as {}: {} {path}: {}",
                case.what,
                ROLES[index],
                case.method,
                String::from_utf8_lossy(&response.body)
            );
            checked += 1;
        }
    }
    assert!(checked >= 200, "{checked} checks");

    // The list shows each caller its scope: the officer its own organization's reports only,
    // province-scoped callers nothing of Samut Prakan, national readers everything.
    for (index, token) in tokens.iter().enumerate() {
        let listed = get(&app, token, "/api/v1/submissions?limit=500").await;
        let items = listed["items"].as_array().expect("items");
        let orgs: Vec<i64> = items
            .iter()
            .filter_map(|r| r["organization_id"].as_i64())
            .collect();
        let sees_far = items.iter().any(|r| r["evaluation_id"] == s_eval);
        match ROLES[index] {
            "agency_officer" => {
                assert!(
                    !orgs.is_empty() && orgs.iter().all(|o| *o == peo),
                    "{orgs:?}"
                );
            }
            "admin" | "viewer_national" | "integration_national" => {
                assert!(sees_far && orgs.contains(&pho), "{}", ROLES[index]);
            }
            role => assert!(!sees_far && orgs.contains(&pho), "{role}"),
        }
    }
}
