-- Background exports of the teachers' progress sheet (Reports/ProgressExportEndpoints.cs), for scopes too large to
-- stream in one request (a big city, the province). The file is kept here, in chunks, so any replica serves the
-- download and no replica holds a whole file in memory.
create table progress_exports (
    id               uuid        primary key,
    requested_by     text        not null,
    scope_path       text        not null,              -- '' = the province
    organisation     text        null,                  -- the organisation's code as asked, for the file name
    program_year_id  uuid        not null,
    year_code        text        not null,
    filter           text        null,                  -- a status, or null for every teacher
    status           text        not null check (status in ('queued', 'running', 'succeeded', 'failed')),
    total            bigint      not null default 0,
    done             bigint      not null default 0,
    -- Each claim is an attempt; the chunks of the attempt that finished are the file. A replica that dies mid-job stops
    -- renewing heartbeat_at, and after a lease another claims the job afresh (the dead attempt's chunks are dropped).
    attempt          int         not null default 0,
    heartbeat_at     timestamptz null,
    bytes            bigint      null,
    error            text        null,
    created_at       timestamptz not null,
    started_at       timestamptz null,
    finished_at      timestamptz null
);

create index ix_progress_exports_open on progress_exports (created_at) where status in ('queued', 'running');

create table progress_export_chunks (
    export_id  uuid   not null references progress_exports (id) on delete cascade,
    attempt    int    not null,
    seq        int    not null,
    data       bytea  not null,
    primary key (export_id, attempt, seq)
);
