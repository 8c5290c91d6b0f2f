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
        feature_image -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        live -> Bool,
        format -> Text,
        coverage_open -> Bool,
        latest_block_at -> Nullable<Timestamp>,
        blocks_text -> Text,
        block_count -> BigInt,
        blocks_changed_at -> Nullable<Timestamp>,
        blocks_changed_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    authors (id) {
        id -> BigInt,
        slug -> Text,
        name -> Text,
        role -> Nullable<Text>,
        bio -> Nullable<Text>,
        bio_html -> Nullable<Text>,
        image -> Nullable<Text>,
        links -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    article_authors (article_id, author_id) {
        article_id -> BigInt,
        author_id -> BigInt,
        position -> BigInt,
    }
}

diesel::table! {
    collections (id) {
        id -> BigInt,
        slug -> Text,
        name -> Text,
        description -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    collection_items (collection_id, article_id) {
        collection_id -> BigInt,
        article_id -> BigInt,
        position -> BigInt,
    }
}

diesel::table! {
    article_corrections (id) {
        id -> BigInt,
        article_id -> BigInt,
        body -> Text,
        body_html -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    article_blocks (id) {
        id -> BigInt,
        article_id -> BigInt,
        title -> Nullable<Text>,
        body -> Text,
        body_html -> Text,
        body_text -> Text,
        key_event -> Bool,
        pinned -> Bool,
        published_at -> Timestamp,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        changed_at -> Timestamp,
        announced -> Bool,
        deleted -> Bool,
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
    tag_counts (tag_id) {
        tag_id -> BigInt,
        published -> BigInt,
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

diesel::table! {
    article_revisions (id) {
        id -> BigInt,
        article_id -> BigInt,
        number -> BigInt,
        snapshot -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    article_slugs (slug) {
        slug -> Text,
        article_id -> BigInt,
        retired_at -> Timestamp,
    }
}

diesel::table! {
    webhooks (id) {
        id -> BigInt,
        url -> Text,
        events -> Text,
        secret -> Text,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> BigInt,
        webhook_id -> BigInt,
        event -> Text,
        payload -> Text,
        status -> Text,
        attempts -> BigInt,
        next_attempt_at -> Nullable<Timestamp>,
        last_status_code -> Nullable<BigInt>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
        attempting_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    article_previews (id) {
        id -> BigInt,
        article_id -> BigInt,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    changes (seq) {
        seq -> BigInt,
        kind -> Text,
        resource -> Text,
        keys -> Text,
        hard -> Bool,
        created_at -> Timestamp,
        public_seq -> Nullable<BigInt>,
        slug -> Text,
        tags -> Text,
        reason -> Nullable<Text>,
        block_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    change_horizon (id) {
        id -> BigInt,
        seq -> BigInt,
        public_seq -> BigInt,
    }
}

diesel::table! {
    purge_progress (url) {
        url -> Text,
        seq -> BigInt,
        attempts -> BigInt,
        next_attempt_at -> Nullable<Timestamp>,
        leased_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
    }
}

diesel::joinable!(article_authors -> articles (article_id));
diesel::joinable!(article_authors -> authors (author_id));
diesel::joinable!(collection_items -> articles (article_id));
diesel::joinable!(collection_items -> collections (collection_id));
diesel::joinable!(article_blocks -> articles (article_id));
diesel::joinable!(article_corrections -> articles (article_id));
diesel::joinable!(article_previews -> articles (article_id));
diesel::joinable!(article_tags -> articles (article_id));
diesel::joinable!(article_tags -> tags (tag_id));
diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));

diesel::allow_tables_to_appear_in_same_query!(
    change_horizon,
    changes,
    purge_progress,
    article_previews,
    article_blocks,
    article_corrections,
    authors,
    article_authors,
    collections,
    collection_items,
    article_revisions,
    article_slugs,
    articles,
    tags,
    article_tags,
    tag_counts,
    related_links,
    api_keys,
    webhooks,
    webhook_deliveries
);
