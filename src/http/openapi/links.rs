//! OpenAPI `links` (one table): how the answer of one operation feeds the next, so a client
//! generator, Swagger UI and schemathesis' stateful phase follow a resource's life: a create's
//! `201` leads to its read, its changes (with the `ETag` it returned as `If-Match`), its
//! workflow and its children; a list's first item leads to that item; a workflow step leads
//! to the steps that may follow it.
//!
//! Kept here rather than in each handler's `#[utoipa::path]`: a link names two operations, and
//! one table shows the whole graph at once. `tests/api/security.rs` checks that every link
//! names an operation and parameters that exist (`every_contract_link_resolves`).

use utoipa::openapi::link::Link;
use utoipa::openapi::{OpenApi, RefOr};

/// Where a link's values come from (OpenAPI runtime expressions).
const BODY_ID: &str = "$response.body#/id";
const FIRST_ID: &str = "$response.body#/items/0/id";
const ETAG: &str = "$response.header.ETag";

/// `(source operationId, status, link name, target operationId, [(parameter, expression)])`.
/// A parameter is written `location.name` (`path.id`, `header.If-Match`, `query.evaluation_id`).
type LinkRow = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

/// What a response gives the operations on the resource it names: its id, and its ETag for
/// those that take `If-Match`.
const READ: &[(&str, &str)] = &[("path.id", BODY_ID)];
const CHANGE: &[(&str, &str)] = &[("path.id", BODY_ID), ("header.If-Match", ETAG)];
/// A list's first item (none when the page is empty: the link is then not followed).
const FIRST: &[(&str, &str)] = &[("path.id", FIRST_ID)];
/// A child collection of the resource in the body (its id in the path).
const CHILDREN: &[(&str, &str)] = &[("path.id", BODY_ID)];

const LINKS: &[LinkRow] = &[
    // Accounts.
    ("create_user", "201", "GetUser", "get_user", READ),
    ("create_user", "201", "PatchUser", "patch_user", CHANGE),
    ("get_user", "200", "PatchUser", "patch_user", CHANGE),
    ("list_users", "200", "GetFirstUser", "get_user", FIRST),
    // Organizations.
    (
        "create_organization",
        "201",
        "GetOrganization",
        "get_organization",
        READ,
    ),
    (
        "create_organization",
        "201",
        "PatchOrganization",
        "patch_organization",
        CHANGE,
    ),
    (
        "create_organization",
        "201",
        "DeleteOrganization",
        "delete_organization",
        CHANGE,
    ),
    (
        "create_organization",
        "201",
        "OrganizationAssignments",
        "list_organization_assignments",
        CHILDREN,
    ),
    (
        "create_organization",
        "201",
        "OrganizationWorkList",
        "organization_work_list",
        CHILDREN,
    ),
    (
        "get_organization",
        "200",
        "PatchOrganization",
        "patch_organization",
        CHANGE,
    ),
    (
        "list_organizations",
        "200",
        "GetFirstOrganization",
        "get_organization",
        FIRST,
    ),
    (
        "list_organizations",
        "200",
        "FirstOrganizationAssignments",
        "list_organization_assignments",
        FIRST,
    ),
    (
        "list_organizations",
        "200",
        "FirstOrganizationWorkList",
        "organization_work_list",
        FIRST,
    ),
    // Evaluations and what hangs from them.
    (
        "create_evaluation",
        "201",
        "GetEvaluation",
        "get_evaluation",
        READ,
    ),
    (
        "create_evaluation",
        "201",
        "PatchEvaluation",
        "patch_evaluation",
        CHANGE,
    ),
    (
        "create_evaluation",
        "201",
        "GetFramework",
        "get_framework",
        CHILDREN,
    ),
    (
        "create_evaluation",
        "201",
        "PutFramework",
        "put_framework",
        CHILDREN,
    ),
    (
        "create_evaluation",
        "201",
        "ListComponents",
        "list_components",
        CHILDREN,
    ),
    (
        "create_evaluation",
        "201",
        "CreateComponent",
        "create_component",
        CHILDREN,
    ),
    (
        "create_evaluation",
        "201",
        "ListRounds",
        "list_rounds",
        CHILDREN,
    ),
    (
        "create_evaluation",
        "201",
        "CreateRound",
        "create_round",
        CHILDREN,
    ),
    (
        "create_evaluation",
        "201",
        "OverdueList",
        "evaluation_overdue_list",
        CHILDREN,
    ),
    (
        "create_evaluation",
        "201",
        "ListIndicators",
        "list_indicators",
        &[("query.evaluation_id", BODY_ID)],
    ),
    (
        "get_evaluation",
        "200",
        "PatchEvaluation",
        "patch_evaluation",
        CHANGE,
    ),
    (
        "list_evaluations",
        "200",
        "GetFirstEvaluation",
        "get_evaluation",
        FIRST,
    ),
    (
        "list_evaluations",
        "200",
        "FirstEvaluationComponents",
        "list_components",
        FIRST,
    ),
    (
        "list_evaluations",
        "200",
        "FirstEvaluationRounds",
        "list_rounds",
        FIRST,
    ),
    (
        "list_evaluations",
        "200",
        "FirstEvaluationFramework",
        "get_framework",
        FIRST,
    ),
    // Components.
    (
        "create_component",
        "201",
        "GetComponent",
        "get_component",
        READ,
    ),
    (
        "create_component",
        "201",
        "PatchComponent",
        "patch_component",
        CHANGE,
    ),
    (
        "create_component",
        "201",
        "DeleteComponent",
        "delete_component",
        CHANGE,
    ),
    (
        "get_component",
        "200",
        "PatchComponent",
        "patch_component",
        CHANGE,
    ),
    (
        "list_components",
        "200",
        "GetFirstComponent",
        "get_component",
        FIRST,
    ),
    // Indicators and their assignments.
    (
        "create_indicator",
        "201",
        "GetIndicator",
        "get_indicator",
        READ,
    ),
    (
        "create_indicator",
        "201",
        "PatchIndicator",
        "patch_indicator",
        CHANGE,
    ),
    (
        "create_indicator",
        "201",
        "DeleteIndicator",
        "delete_indicator",
        CHANGE,
    ),
    (
        "create_indicator",
        "201",
        "ListAssignments",
        "list_indicator_assignments",
        CHILDREN,
    ),
    (
        "create_indicator",
        "201",
        "CreateAssignment",
        "create_assignment",
        CHILDREN,
    ),
    (
        "get_indicator",
        "200",
        "PatchIndicator",
        "patch_indicator",
        CHANGE,
    ),
    (
        "list_indicators",
        "200",
        "GetFirstIndicator",
        "get_indicator",
        FIRST,
    ),
    (
        "list_indicators",
        "200",
        "FirstIndicatorAssignments",
        "list_indicator_assignments",
        FIRST,
    ),
    (
        "create_assignment",
        "201",
        "GetAssignment",
        "get_assignment",
        READ,
    ),
    (
        "create_assignment",
        "201",
        "PatchAssignment",
        "patch_assignment",
        CHANGE,
    ),
    (
        "create_assignment",
        "201",
        "DeleteAssignment",
        "delete_assignment",
        CHANGE,
    ),
    (
        "get_assignment",
        "200",
        "PatchAssignment",
        "patch_assignment",
        CHANGE,
    ),
    (
        "list_indicator_assignments",
        "200",
        "GetFirstAssignment",
        "get_assignment",
        FIRST,
    ),
    (
        "list_organization_assignments",
        "200",
        "GetFirstAssignment",
        "get_assignment",
        FIRST,
    ),
    // Submissions: filing, the workflow, history.
    (
        "create_submission",
        "201",
        "GetSubmission",
        "get_submission",
        READ,
    ),
    (
        "create_submission",
        "201",
        "PatchSubmission",
        "patch_submission",
        CHANGE,
    ),
    (
        "create_submission",
        "201",
        "DeleteSubmission",
        "delete_submission",
        CHANGE,
    ),
    (
        "create_submission",
        "201",
        "SubmitSubmission",
        "submit_submission",
        CHANGE,
    ),
    (
        "create_submission",
        "201",
        "SubmissionHistory",
        "submission_history",
        READ,
    ),
    (
        "get_submission",
        "200",
        "PatchSubmission",
        "patch_submission",
        CHANGE,
    ),
    (
        "get_submission",
        "200",
        "SubmitSubmission",
        "submit_submission",
        CHANGE,
    ),
    (
        "get_submission",
        "200",
        "ApproveSubmission",
        "approve_submission",
        CHANGE,
    ),
    (
        "get_submission",
        "200",
        "ReturnSubmission",
        "return_submission",
        CHANGE,
    ),
    (
        "patch_submission",
        "200",
        "SubmitSubmission",
        "submit_submission",
        CHANGE,
    ),
    (
        "submit_submission",
        "200",
        "ApproveSubmission",
        "approve_submission",
        CHANGE,
    ),
    (
        "submit_submission",
        "200",
        "ReturnSubmission",
        "return_submission",
        CHANGE,
    ),
    (
        "submit_submission",
        "200",
        "SubmissionHistory",
        "submission_history",
        READ,
    ),
    (
        "approve_submission",
        "200",
        "ReturnSubmission",
        "return_submission",
        CHANGE,
    ),
    (
        "approve_submission",
        "200",
        "SubmissionHistory",
        "submission_history",
        READ,
    ),
    (
        "return_submission",
        "200",
        "PatchSubmission",
        "patch_submission",
        CHANGE,
    ),
    (
        "return_submission",
        "200",
        "SubmitSubmission",
        "submit_submission",
        CHANGE,
    ),
    (
        "return_submission",
        "200",
        "SubmissionHistory",
        "submission_history",
        READ,
    ),
    (
        "list_submissions",
        "200",
        "GetFirstSubmission",
        "get_submission",
        FIRST,
    ),
    (
        "list_submissions",
        "200",
        "FirstSubmissionHistory",
        "submission_history",
        FIRST,
    ),
    // A workflow step takes If-Match as an option: the first report of a page (asked for by
    // status) goes straight to the step its state allows.
    (
        "list_submissions",
        "200",
        "SubmitFirstSubmission",
        "submit_submission",
        FIRST,
    ),
    (
        "list_submissions",
        "200",
        "ApproveFirstSubmission",
        "approve_submission",
        FIRST,
    ),
    (
        "list_submissions",
        "200",
        "ReturnFirstSubmission",
        "return_submission",
        FIRST,
    ),
    // Rounds, their summaries and snapshots.
    ("create_round", "201", "GetRound", "get_round", READ),
    ("create_round", "201", "PatchRound", "patch_round", CHANGE),
    ("create_round", "201", "DeleteRound", "delete_round", CHANGE),
    (
        "create_round",
        "201",
        "RoundSummary",
        "round_summary",
        CHILDREN,
    ),
    (
        "create_round",
        "201",
        "RoundSummarySvg",
        "round_summary_svg",
        CHILDREN,
    ),
    (
        "create_round",
        "201",
        "RoundSummaryHtml",
        "round_summary_html",
        CHILDREN,
    ),
    (
        "create_round",
        "201",
        "ListSnapshots",
        "list_snapshots",
        CHILDREN,
    ),
    (
        "create_round",
        "201",
        "PublishSnapshot",
        "publish_snapshot",
        CHILDREN,
    ),
    ("get_round", "200", "PatchRound", "patch_round", CHANGE),
    ("list_rounds", "200", "GetFirstRound", "get_round", FIRST),
    (
        "list_rounds",
        "200",
        "FirstRoundSummary",
        "round_summary",
        FIRST,
    ),
    (
        "list_rounds",
        "200",
        "FirstRoundSnapshots",
        "list_snapshots",
        FIRST,
    ),
    (
        "list_rounds",
        "200",
        "PublishFirstRoundSnapshot",
        "publish_snapshot",
        FIRST,
    ),
    (
        "publish_snapshot",
        "201",
        "GetSnapshot",
        "get_snapshot",
        READ,
    ),
    (
        "publish_snapshot",
        "201",
        "SnapshotSummarySvg",
        "snapshot_summary_svg",
        READ,
    ),
    (
        "publish_snapshot",
        "201",
        "SnapshotSummaryHtml",
        "snapshot_summary_html",
        READ,
    ),
    (
        "list_snapshots",
        "200",
        "GetFirstSnapshot",
        "get_snapshot",
        FIRST,
    ),
];

/// Adds the table's links to the responses of their source operations. A source operation or
/// status that does not exist is skipped here and reported by the contract test.
pub fn add(api: &mut OpenApi) {
    for item in api.paths.paths.values_mut() {
        for operation in super::operations(item) {
            let Some(id) = operation.operation_id.clone() else {
                continue;
            };
            for (_, status, name, target, parameters) in LINKS.iter().filter(|row| row.0 == id) {
                let Some(RefOr::T(response)) = operation.responses.responses.get_mut(*status)
                else {
                    continue;
                };
                let mut link = Link::default();
                link.operation_id = (*target).to_owned();
                for (parameter, expression) in *parameters {
                    link.parameters
                        .insert((*parameter).to_owned(), serde_json::json!(expression));
                }
                response.links.insert((*name).to_owned(), RefOr::T(link));
            }
        }
    }
}
