-- Records past the retention period (at least 180 days) leave audit_records for a file, one per archiving run. Each
-- run is remembered here, so the chain is still checked across the cut: the first remaining record must follow
-- last_hash, and the file's SHA-256 lets an auditor check that the file is the one written.
create table if not exists audit_archives (
    from_seq      bigint      primary key,
    to_seq        bigint      not null unique,
    service       text        not null,
    record_count  bigint      not null,
    last_hash     text        not null,
    first_at      timestamptz not null,
    last_at       timestamptz not null,
    file_name     text        not null,
    file_sha256   text        not null,
    archived_at   timestamptz not null,
    check (to_seq >= from_seq and record_count = to_seq - from_seq + 1)
);

-- The archiving job, and nothing else, may delete: it sets audit.archiving for its own transaction only
-- (set local), after recording the archive in that same transaction. Updates stay refused for everyone.
create or replace function audit_records_refuse_change() returns trigger language plpgsql as $$
begin
    if tg_op = 'DELETE' and current_setting('audit.archiving', true) = 'on' then
        return old;
    end if;
    raise exception 'audit_records is append-only: % refused', tg_op using errcode = '42501';
end
$$;

-- Archives are kept, not edited.
create or replace function audit_archives_refuse_change() returns trigger language plpgsql as $$
begin
    raise exception 'audit_archives is append-only: % refused', tg_op using errcode = '42501';
end
$$;

drop trigger if exists audit_archives_append_only on audit_archives;
create trigger audit_archives_append_only before update or delete on audit_archives
    for each row execute function audit_archives_refuse_change();
