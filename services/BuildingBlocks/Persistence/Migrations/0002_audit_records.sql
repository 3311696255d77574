-- The audit trail every service keeps in its own database: who did what to which record, from where, when.
-- Append-only and hash-chained per service (seq 1, 2, 3, ... each hash covering the previous one), so a gap, an
-- edit or a deletion is found by walking the chain.
create table if not exists audit_records (
    seq                      bigint      primary key,
    at                       timestamptz not null,
    actor_account_id         uuid        not null,
    actor_login              text        not null,
    actor_role               text        not null,
    actor_organisation_path  text        not null,
    action                   text        not null,
    target_kind              text        not null,
    target_id                text        not null,
    summary                  text        not null,
    client_address           text        null,
    trace_id                 text        null,
    prev_hash                text        not null,
    hash                     text        not null
);

create index if not exists ix_audit_records_actor on audit_records (actor_login, seq);
create index if not exists ix_audit_records_target on audit_records (target_id, seq);
create index if not exists ix_audit_records_action on audit_records (action, seq);
create index if not exists ix_audit_records_at on audit_records (at);

-- The service's own role owns the table, so revoking UPDATE/DELETE would not bind it; a trigger does. Archiving
-- old records will be a deliberate job that drops this trigger in its own transaction.
create or replace function audit_records_refuse_change() returns trigger language plpgsql as $$
begin
    raise exception 'audit_records is append-only: % refused', tg_op using errcode = '42501';
end
$$;

drop trigger if exists audit_records_append_only on audit_records;
create trigger audit_records_append_only before update or delete on audit_records
    for each row execute function audit_records_refuse_change();
