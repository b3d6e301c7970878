//! `GET /api/v1/audit-events`: who changed what, when.

use actix_web::web::Data;
use actix_web::{get, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{timestamp, Page};
use crate::error::{Error, Result};
use crate::http::extract::{Authenticated, QueryParams};
use crate::http::AppState;
use crate::storage::audit::{self, AuditEventRow, AuditFilter};
use crate::storage::decode_json;
use crate::storage::pagination::PageRequest;

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 41, "occurred_at": "2022-01-02T03:04:05.123456Z", "actor": "yasothon.admin",
    "actor_role": "province_admin", "action": "update", "entity_type": "organization",
    "entity_id": 12, "request_id": "4f1c2a8e-7d1b-4c3e-9a51-1f0d2b3c4d5e",
    "details": {"before": {"name_th": "สำนักงานพลังงานจังหวัด"}, "after": {"name_th": "สำนักงานพลังงานจังหวัดยโสธร"}}
}))]
pub struct AuditEvent {
    pub id: i64,
    pub occurred_at: chrono::DateTime<chrono::Utc>,
    /// The token subject (or `system` for the command line).
    pub actor: String,
    pub actor_role: String,
    /// `create`, `update`, `delete`, or a workflow transition.
    pub action: String,
    pub entity_type: String,
    pub entity_id: i64,
    /// The `X-Request-Id` of the request that made the change.
    pub request_id: Option<String>,
    /// The created or deleted fields, or `before` and `after` of a change.
    pub details: serde_json::Value,
}

impl TryFrom<AuditEventRow> for AuditEvent {
    type Error = Error;

    /// Details that do not read are an internal error, never shown as `null`.
    fn try_from(row: AuditEventRow) -> Result<Self> {
        Ok(Self {
            details: decode_json("audit_events", row.id, "details", &row.details)?,
            id: row.id,
            occurred_at: timestamp(row.occurred_at),
            actor: row.actor,
            actor_role: row.actor_role,
            action: row.action,
            entity_type: row.entity_type,
            entity_id: row.entity_id,
            request_id: row.request_id,
        })
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// e.g. `organization`, `user`.
    pub entity_type: Option<String>,
    pub entity_id: Option<i64>,
    /// The actor's token subject.
    pub actor: Option<String>,
    #[param(minimum = 1, maximum = 500, default = 50)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// List audit events, oldest first: admins everything, province admins their province's.
///
/// Every change the API makes writes one event in the same transaction: who (`actor`, the
/// token subject, and its role), what (`entity_type`, `entity_id`, `action`), when, the
/// request's `X-Request-Id`, and the created or deleted fields or `before` and `after` of a
/// change. Filter by `entity_type`, `entity_id` or `actor`; page with `limit` and `cursor`.
/// Other roles get 403.
#[utoipa::path(
    tag = "audit",
    params(AuditQuery),
    responses((status = 200, description = "One page of audit events", body = Page<AuditEvent>)),
    security(("bearer" = []))
)]
#[get("/audit-events")]
pub async fn list_audit_events(
    state: Data<AppState>,
    auth: Authenticated,
    QueryParams(query): QueryParams<AuditQuery>,
) -> Result<HttpResponse> {
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let filter = AuditFilter {
        entity_type: query.entity_type,
        entity_id: query.entity_id,
        actor: query.actor,
    };
    let rows = state
        .read(auth, move |conn, caller| {
            audit::list(conn, caller.audit_visibility()?, &filter, page)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::try_from_storage(rows, AuditEvent::try_from)?))
}
