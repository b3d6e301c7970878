//! `/api/v1/evaluations/{id}/framework`: an evaluation's whole framework as one document.

use actix_web::web::{Data, Path};
use actix_web::{get, put, HttpResponse};

use crate::domain::framework::FrameworkDocument;
use crate::error::Result;
use crate::http::extract::{Authenticated, JsonBody};
use crate::http::openapi::{InvalidState, NotFound, Unprocessable};
use crate::http::AppState;
use crate::storage::{evaluations, framework, Access};

/// Export an evaluation's framework.
///
/// The whole framework as one document: components, their indicators with criteria, and the
/// organizations assigned to each by organization code — for copying a framework into
/// another evaluation or year with `PUT`.
#[utoipa::path(
    tag = "evaluations",
    params(("id" = i64, Path, description = "Evaluation id")),
    responses(
        (status = 200, description = "The framework document", body = FrameworkDocument),
        (status = 404, response = NotFound),
    ),
    security(("bearer" = []))
)]
#[get("/evaluations/{id}/framework")]
pub async fn get_framework(
    state: Data<AppState>,
    auth: Authenticated,
    id: Path<i64>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let document = state
        .read(auth, move |conn, caller| {
            let evaluation = evaluations::get(conn, caller, id, Access::Read)?;
            framework::export(conn, evaluation.id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(document))
}

/// Import a framework into a draft evaluation.
///
/// Replaces a draft evaluation's components, indicators and assignments with the document, in
/// one transaction: all of it, or (422, every problem listed with its path, e.g.
/// `components[0].indicators[1].assignments[2].organization_code`) none of it. An
/// organization has at most one assignment per indicator. Only a draft's framework can be
/// replaced (409).
#[utoipa::path(
    tag = "evaluations",
    params(("id" = i64, Path, description = "Evaluation id")),
    request_body = FrameworkDocument,
    responses(
        (status = 200, description = "The framework as stored", body = FrameworkDocument),
        (status = 404, response = NotFound),
        (status = 409, response = InvalidState),
        (status = 422, response = Unprocessable),
    ),
    security(("bearer" = []))
)]
#[put("/evaluations/{id}/framework")]
pub async fn put_framework(
    state: Data<AppState>,
    auth: Authenticated,
    id: Path<i64>,
    body: JsonBody<FrameworkDocument>,
) -> Result<HttpResponse> {
    let id = id.into_inner();
    let stored = state
        .write(auth, move |conn, caller, actor| {
            let evaluation = evaluations::get(conn, caller, id, Access::Manage)?;
            let document = body.parse()?;
            framework::import(conn, caller, actor, &evaluation, &document)
        })
        .await?;
    Ok(HttpResponse::Ok().json(stored))
}
