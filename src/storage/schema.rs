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
    }
}

diesel::table! {
    login_throttle (username) {
        username -> Text,
        failures -> Integer,
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

diesel::joinable!(users -> organizations (organization_id));

diesel::allow_tables_to_appear_in_same_query!(
    organizations,
    users,
    login_throttle,
    audit_events,
    idempotency_keys,
);
