//! Hand-kept diesel schema over the types both engines share (BIGINT ids, TEXT, naive UTC
//! TIMESTAMP). A test checks that both engines' migrations produce these tables and columns.

diesel::table! {
    organizations (id) {
        id -> BigInt,
        code -> Text,
        name_th -> Text,
        name_en -> Nullable<Text>,
        kind -> Text,
        parent_id -> Nullable<BigInt>,
        province_id -> Nullable<BigInt>,
        search_text -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        username -> Text,
        display_name -> Text,
        password_hash -> Text,
        role -> Text,
        organization_id -> Nullable<BigInt>,
        disabled -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        credentials_changed_at -> Timestamp,
    }
}

diesel::table! {
    login_throttle (username) {
        username -> Text,
        checks -> Integer,
        window_started_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_events (id) {
        id -> BigInt,
        occurred_at -> Timestamp,
        actor -> Text,
        actor_role -> Text,
        action -> Text,
        entity_type -> Text,
        entity_id -> BigInt,
        province_id -> Nullable<BigInt>,
        request_id -> Nullable<Text>,
        details -> Text,
    }
}

diesel::table! {
    idempotency_keys (id) {
        id -> BigInt,
        actor -> Text,
        request_path -> Text,
        idempotency_key -> Text,
        request_hash -> Text,
        state -> Text,
        response_status -> Nullable<Integer>,
        response_body -> Nullable<Text>,
        response_location -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    evaluations (id) {
        id -> BigInt,
        province_id -> BigInt,
        fiscal_year -> Integer,
        title -> Text,
        deadline_day -> Integer,
        reporting_start -> Text,
        reporting_end -> Text,
        status -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    components (id) {
        id -> BigInt,
        evaluation_id -> BigInt,
        code -> Text,
        name -> Text,
        weight -> Double,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    indicators (id) {
        id -> BigInt,
        evaluation_id -> BigInt,
        component_id -> BigInt,
        code -> Text,
        name -> Text,
        description -> Nullable<Text>,
        unit -> Nullable<Text>,
        category -> Nullable<Text>,
        frequency -> Text,
        over_time -> Text,
        across_orgs -> Text,
        score_basis -> Text,
        baseline -> Nullable<Double>,
        target -> Nullable<Double>,
        weight -> Double,
        criteria -> Text,
        search_text -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    assignments (id) {
        id -> BigInt,
        indicator_id -> BigInt,
        organization_id -> BigInt,
        role -> Text,
        contact_name -> Nullable<Text>,
        contact_position -> Nullable<Text>,
        contact_phone -> Nullable<Text>,
        contact_email -> Nullable<Text>,
        baseline -> Nullable<Double>,
        target -> Nullable<Double>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    submissions (id) {
        id -> BigInt,
        evaluation_id -> BigInt,
        indicator_id -> BigInt,
        organization_id -> BigInt,
        period -> Text,
        value -> Nullable<Double>,
        narrative -> Nullable<Text>,
        obstacles -> Nullable<Text>,
        suggestions -> Nullable<Text>,
        evidence_urls -> Text,
        status -> Text,
        review_comment -> Nullable<Text>,
        first_submitted_at -> Nullable<Timestamp>,
        due_at -> Timestamp,
        on_time -> Nullable<Bool>,
        created_by -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    submission_events (id) {
        id -> BigInt,
        submission_id -> BigInt,
        occurred_at -> Timestamp,
        actor -> Text,
        actor_role -> Text,
        action -> Text,
        comment -> Nullable<Text>,
        before -> Nullable<Text>,
        after -> Text,
    }
}

diesel::table! {
    rounds (id) {
        id -> BigInt,
        evaluation_id -> BigInt,
        name -> Text,
        name_key -> Text,
        start_period -> Text,
        end_period -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    snapshots (id) {
        id -> BigInt,
        round_id -> BigInt,
        evaluation_id -> BigInt,
        as_of -> Timestamp,
        published_at -> Timestamp,
        published_by -> Text,
        published_by_name -> Text,
        sha256 -> Text,
        summary -> Text,
    }
}

diesel::joinable!(users -> organizations (organization_id));
diesel::joinable!(evaluations -> organizations (province_id));
diesel::joinable!(components -> evaluations (evaluation_id));
diesel::joinable!(indicators -> components (component_id));
diesel::joinable!(assignments -> indicators (indicator_id));
diesel::joinable!(assignments -> organizations (organization_id));
diesel::joinable!(submissions -> evaluations (evaluation_id));
diesel::joinable!(submissions -> indicators (indicator_id));
diesel::joinable!(submissions -> organizations (organization_id));
diesel::joinable!(submission_events -> submissions (submission_id));
diesel::joinable!(rounds -> evaluations (evaluation_id));
diesel::joinable!(snapshots -> rounds (round_id));
diesel::joinable!(snapshots -> evaluations (evaluation_id));

diesel::allow_tables_to_appear_in_same_query!(
    organizations,
    users,
    login_throttle,
    audit_events,
    idempotency_keys,
    evaluations,
    components,
    indicators,
    assignments,
    submissions,
    submission_events,
    rounds,
    snapshots,
);
