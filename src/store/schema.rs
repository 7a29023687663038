// @generated shape of `diesel print-schema`, shared by both backends.
// tests/schema_matches_migrations.rs checks it against the migrations of each backend.

diesel::table! {
    audit_log (id) {
        id -> Text,
        actor -> Text,
        action -> Text,
        target_type -> Text,
        target_id -> Text,
        reason -> Nullable<Text>,
        details -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    board_departments (period, behaviour, department, shard) {
        period -> Text,
        behaviour -> Text,
        department -> Text,
        score -> BigInt,
        participants -> Integer,
        shard -> Integer,
    }
}

diesel::table! {
    board_changes (period) {
        period -> Text,
        version -> BigInt,
    }
}

diesel::table! {
    board_totals (employee_id, period, behaviour) {
        period -> Text,
        behaviour -> Text,
        employee_id -> Text,
        received -> Integer,
        given -> Integer,
        endorsements -> Integer,
        score -> BigInt,
        department -> Text,
        active -> Bool,
        listed -> Bool,
        unique_senders -> Integer,
        revision -> BigInt,
    }
}

diesel::table! {
    behaviours (slug) {
        slug -> Text,
        title -> Text,
        description -> Text,
        active -> Bool,
        position -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        color -> Nullable<Text>,
        icon -> Nullable<Text>,
    }
}

diesel::table! {
    department_headcounts (department) {
        department -> Text,
        active -> Integer,
    }
}

diesel::table! {
    digests (manager_id, week) {
        manager_id -> Text,
        week -> Text,
        outcome -> Text,
        outbox_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    employees (id) {
        id -> Text,
        email -> Text,
        name -> Text,
        sort_name -> Text,
        department -> Text,
        manager_id -> Nullable<Text>,
        timezone -> Nullable<Text>,
        active -> Bool,
        role -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        show_on_leaderboard -> Bool,
        weekly_digest -> Bool,
        notify_on_postcard -> Bool,
        external_id -> Nullable<Text>,
    }
}

diesel::table! {
    endorsements (postcard_id, employee_id) {
        postcard_id -> Text,
        employee_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    idempotency_keys (caller, idem_key) {
        caller -> Text,
        idem_key -> Text,
        request_hash -> Text,
        response_status -> Nullable<Integer>,
        response_body -> Nullable<Text>,
        response_location -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    magic_links (token_hash) {
        token_hash -> Text,
        email -> Text,
        employee_id -> Nullable<Text>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    outbox (id) {
        id -> Text,
        kind -> Text,
        dedupe_key -> Nullable<Text>,
        to_address -> Text,
        to_name -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Nullable<Text>,
        unsubscribe_url -> Nullable<Text>,
        message_id -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        claimed_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    postcard_reports (postcard_id, reporter_id) {
        postcard_id -> Text,
        reporter_id -> Text,
        reason -> Text,
        created_at -> Timestamp,
        closed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    postcard_recipients (postcard_id, recipient_id) {
        postcard_id -> Text,
        recipient_id -> Text,
        position -> Integer,
        sender_id -> Text,
        behaviour -> Text,
        created_at -> Timestamp,
        hidden -> Bool,
    }
}

diesel::table! {
    postcards (id) {
        id -> Text,
        sender_id -> Text,
        behaviour -> Text,
        message -> Text,
        customer_name -> Nullable<Text>,
        customer_quote -> Nullable<Text>,
        visibility -> Text,
        endorsement_count -> Integer,
        hidden -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    web_sessions (id_hash) {
        id_hash -> Text,
        email -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    widget_tokens (id) {
        id -> Text,
        name -> Text,
        token_hash -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        kind -> Text,
    }
}

diesel::joinable!(board_totals -> employees (employee_id));
diesel::joinable!(endorsements -> postcards (postcard_id));
diesel::joinable!(postcard_recipients -> postcards (postcard_id));
diesel::joinable!(postcard_reports -> postcards (postcard_id));
diesel::joinable!(postcards -> behaviours (behaviour));

diesel::allow_tables_to_appear_in_same_query!(
    audit_log,
    behaviours,
    board_changes,
    board_departments,
    board_totals,
    department_headcounts,
    digests,
    employees,
    endorsements,
    idempotency_keys,
    magic_links,
    outbox,
    postcard_recipients,
    postcard_reports,
    postcards,
    web_sessions,
    widget_tokens
);

diesel::table! {
    webhooks (id) {
        id -> Text,
        url -> Text,
        events -> Text,
        format -> Text,
        description -> Text,
        active -> Bool,
        include_private -> Bool,
        secret -> Text,
        failing_since -> Nullable<Timestamp>,
        disabled_reason -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    integration_events (id) {
        id -> Text,
        event_type -> Text,
        subject_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    deliveries (id) {
        id -> Text,
        dedupe_key -> Text,
        event_type -> Text,
        subject_id -> Text,
        destination -> Text,
        webhook_id -> Nullable<Text>,
        action -> Text,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        claimed_until -> Nullable<Timestamp>,
        response_code -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    delivery_attempts (id) {
        id -> Text,
        delivery_id -> Text,
        webhook_id -> Nullable<Text>,
        event_type -> Text,
        attempt -> Integer,
        status -> Text,
        response_code -> Nullable<Integer>,
        error -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    slack_messages (postcard_id, channel) {
        postcard_id -> Text,
        channel -> Text,
        ts -> Text,
    }
}

diesel::table! {
    slack_users (slack_id) {
        slack_id -> Text,
        email -> Nullable<Text>,
        fetched_at -> Timestamp,
    }
}

diesel::table! {
    seen_signatures (signature) {
        signature -> Text,
        seen_at -> Timestamp,
    }
}

diesel::table! {
    scim_users (id) {
        id -> Text,
        user_name -> Text,
        user_name_key -> Text,
        resource -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    oidc_logins (state) {
        state -> Text,
        nonce -> Text,
        verifier -> Text,
        next -> Text,
        created_at -> Timestamp,
    }
}
