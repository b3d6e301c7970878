//! `/api/v1/audit-events`: what a change records, and stored details read back or refused.

use serde_json::json;

use crate::both_engines;
use crate::fixtures::sql;
use crate::support::TestApp;

both_engines!(
    audit_events_carry_the_request_id,
    unreadable_stored_details_are_an_internal_error,
);

async fn audit_events_carry_the_request_id(app: TestApp) {
    let created = app
        .post("/api/v1/organizations")
        .bearer(&app.admin())
        .header("X-Request-Id", "governor-meeting-2565-03")
        .json(&json!({"code": "YST-TRACE", "name_th": "หน่วยงานติดตาม", "kind": "agency"}))
        .send()
        .await;
    created.assert_status(201);
    assert_eq!(
        created.header("x-request-id").as_deref(),
        Some("governor-meeting-2565-03")
    );
    let audit = app
        .get("/api/v1/audit-events?actor=test-admin")
        .bearer(&app.admin())
        .send()
        .await
        .json();
    let event = audit["items"]
        .as_array()
        .and_then(|items| items.last())
        .cloned()
        .expect("event");
    assert_eq!(event["request_id"], "governor-meeting-2565-03");
    assert_eq!(event["details"]["name_th"], "หน่วยงานติดตาม");
}

/// Details no change could write (written by SQL) are a 500, logged with the row — never shown
/// as `null`.
async fn unreadable_stored_details_are_an_internal_error(app: TestApp) {
    let admin = app.admin();
    app.post("/api/v1/organizations")
        .bearer(&admin)
        .json(&json!({"code": "YST-TRACE", "name_th": "หน่วยงานติดตาม", "kind": "agency"}))
        .send()
        .await
        .assert_status(201);
    let corrupt = "UPDATE audit_events SET details = '{\"code\": \"YST-TRACE\"' \
         WHERE id = (SELECT MAX(id) FROM audit_events);";
    sql(&app, corrupt, corrupt);
    let problem = app
        .get("/api/v1/audit-events?entity_type=organization")
        .bearer(&admin)
        .send()
        .await
        .assert_problem(500, "internal");
    assert!(
        !problem["detail"].to_string().contains("YST-TRACE"),
        "internals stay in the log: {problem}"
    );
}
