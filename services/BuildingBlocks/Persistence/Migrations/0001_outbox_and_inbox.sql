-- Reliable messaging tables that every service owns in its own database.

-- Outgoing messages, written in the same transaction as the state change they announce.
create table if not exists outbox_messages (
    id            bigint generated always as identity primary key,
    message_id    uuid        not null unique,
    message_type  text        not null,
    body          jsonb       not null,
    -- W3C trace context of the writer, so the dispatch continues the request's trace.
    trace_parent  text        null,
    trace_state   text        null,
    created_at    timestamptz not null default now(),
    sent_at       timestamptz null,
    attempts      int         not null default 0,
    last_error    text        null
);

-- The dispatcher only ever scans what is still to send.
create index if not exists ix_outbox_messages_unsent on outbox_messages (id) where sent_at is null;
create index if not exists ix_outbox_messages_sent_at on outbox_messages (sent_at) where sent_at is not null;

-- Messages already handled, one row per (message, consumer), written in the same transaction as the effect.
create table if not exists inbox_messages (
    message_id   uuid        not null,
    consumer     text        not null,
    message_type text        not null,
    received_at  timestamptz not null default now(),
    primary key (message_id, consumer)
);

create index if not exists ix_inbox_messages_received_at on inbox_messages (received_at);
