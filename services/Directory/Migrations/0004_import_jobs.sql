-- Bulk imports run in the background: the upload is kept here with the uploader's scope, a worker claims it
-- (SKIP LOCKED, so replicas share the queue) and reports rows done / total and every bad row.
create table import_jobs (
    id               uuid        primary key,
    kind             text        not null check (kind in ('teachers', 'schools')),
    file_name        text        not null,
    content          bytea       not null,
    status           text        not null check (status in ('queued', 'running', 'succeeded', 'failed')),
    total_rows       int         null,
    rows_done        int         not null default 0,
    created_count    int         not null default 0,
    updated_count    int         not null default 0,
    unchanged_count  int         not null default 0,
    errors           jsonb       not null default '[]',
    error_count      int         not null default 0,
    requested_by     uuid        not null,
    requester_role   text        not null,
    requester_scope  text        not null,
    created_at       timestamptz not null default now(),
    started_at       timestamptz null,
    finished_at      timestamptz null
);

create index ix_import_jobs_queued on import_jobs (created_at) where status in ('queued', 'running');
