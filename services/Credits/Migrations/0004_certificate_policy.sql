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

-- The policy a certificate was issued under. Certificates issued before this script carry none: until now every
-- valid certificate was re-judged against the active policy, so that is the one they are judged by (see
-- CertificateBook).
alter table certificates add column policy_code text null;
alter table certificates add column policy_version int null;

-- ux_certificates_once (0001) already allows one valid certificate per teacher and cycle; a revoked one stays as a
-- record beside its successor. Looked up by teacher for every evaluation.
create index ix_certificates_teacher on certificates (teacher_id) where revoked_at is null;
