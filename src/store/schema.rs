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
    behaviours (slug) {
        slug -> Text,
        title -> Text,
        description -> Text,
        active -> Bool,
        position -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
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
    }
}

diesel::allow_tables_to_appear_in_same_query!(audit_log, behaviours, employees);
