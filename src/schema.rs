// The Diesel schema of `migrations/`, kept in step with them by hand (the same shape
// `diesel print-schema` produces).

diesel::table! {
    articles (id) {
        id -> BigInt,
        slug -> Text,
        title -> Text,
        summary -> Text,
        body -> Text,
        body_html -> Text,
        body_text -> Text,
        word_count -> BigInt,
        status -> Text,
        published_at -> Nullable<Timestamp>,
        byline -> Nullable<Text>,
        feature_image_url -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    tags (id) {
        id -> BigInt,
        slug -> Text,
        name -> Text,
        description -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    article_tags (article_id, tag_id) {
        article_id -> BigInt,
        tag_id -> BigInt,
        position -> BigInt,
    }
}

diesel::table! {
    related_links (id) {
        id -> BigInt,
        article_id -> BigInt,
        position -> BigInt,
        target_article_id -> Nullable<BigInt>,
        url -> Nullable<Text>,
        title -> Nullable<Text>,
        summary -> Nullable<Text>,
    }
}

diesel::table! {
    api_keys (id) {
        id -> BigInt,
        name -> Text,
        scope -> Text,
        prefix -> Text,
        key_hash -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(article_tags -> articles (article_id));
diesel::joinable!(article_tags -> tags (tag_id));

diesel::allow_tables_to_appear_in_same_query!(
    articles,
    tags,
    article_tags,
    related_links,
    api_keys
);
