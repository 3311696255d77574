-- Audit records written but not yet chained. An action inserts its record here in its own transaction, as cheaply as
-- an outbox row and without the chain's lock; the sealer (AuditSealer) moves them into audit_records in batches, each
-- under the chain's advisory lock, giving them their seq and hashes. Appending to the chain inside the action's
-- transaction held that lock through every commit's WAL flush, so one service's audited writes went one at a time
-- (measured: ~170 audited choices/s at 16 connections against ~940 without a record).
create table if not exists audit_pending (
    id                       bigint      generated always as identity primary key,
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
    trace_id                 text        null
);

-- Nothing edits a waiting record, and only the sealer takes one away (it says so with a transaction-local setting,
-- in the transaction that chains what it took): a record deleted here would never reach the chain, and the chain
-- could not tell. Statement-level, so a sealer's batch pays one check, not one per row.
create or replace function audit_pending_refuse_change() returns trigger language plpgsql as $$
begin
    if tg_op = 'DELETE' and coalesce(current_setting('audit.sealing', true), '') = 'on' then
        return null;
    end if;
    raise exception 'audit_pending is append-only until sealed: % refused', tg_op using errcode = '42501';
end
$$;

drop trigger if exists audit_pending_sealer_only on audit_pending;
create trigger audit_pending_sealer_only before update or delete or truncate on audit_pending
    for each statement execute function audit_pending_refuse_change();
