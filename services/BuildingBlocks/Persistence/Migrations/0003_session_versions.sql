-- Sessions that end: for each account whose sessions were ended, the session version its tokens must carry at least.
-- Directory writes it with the change that ends them; every other service keeps a copy from AccountSessionsEnded.
-- Each replica holds the table in memory and re-reads only what changed: changed_xact is the writing transaction's id,
-- and a reader that remembers the oldest transaction still running at its last read (its snapshot's xmin) misses no
-- row, whatever order the writers commit in (a sequence or a clock would let a slow writer's row slip past).
create table if not exists session_versions (
    account_id      uuid        primary key,
    session_version int         not null check (session_version > 0),
    reason          text        not null,
    changed_at      timestamptz not null,
    changed_xact    xid8        not null default pg_current_xact_id()
);

create index if not exists ix_session_versions_changed_xact on session_versions (changed_xact);
