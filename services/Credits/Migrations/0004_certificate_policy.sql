-- Every version a credit policy has had, kept as it was: a certificate is judged by the rules it was issued under,
-- long after the operator edited the policy or switched to another.
create table credit_policy_versions (
    code              text        not null,
    version           int         not null,
    name              text        not null,
    cycle_years       int         not null,
    first_cycle_year  int         not null,
    rules             jsonb       not null,
    recorded_at       timestamptz not null,
    primary key (code, version)
);

insert into credit_policy_versions (code, version, name, cycle_years, first_cycle_year, rules, recorded_at)
select code, version, name, cycle_years, first_cycle_year, rules, updated_at from credit_policies;

-- The policy a certificate was issued under. Until this script every valid certificate was re-judged against the
-- active policy (and revoked when it no longer met it), so the active policy is what the valid ones stand on now.
-- Revoked ones are left without: which policy they were issued under was not recorded, and guessing would put a
-- wrong fact on a record.
alter table certificates add column policy_code text null;
alter table certificates add column policy_version int null;

update certificates c set policy_code = p.code, policy_version = p.version
from credit_policies p where p.active and c.revoked_at is null;

-- ux_certificates_once (0001) already allows one valid certificate per teacher and cycle; a revoked one stays as a
-- record beside its successor. Looked up by teacher for every evaluation.
create index ix_certificates_teacher on certificates (teacher_id) where revoked_at is null;

-- The corrections made since a certificate was issued are looked up for every evaluation of a certified teacher.
create index ix_ledger_reversals on ledger_entries (teacher_id, posted_at) where reverses_id is not null;
