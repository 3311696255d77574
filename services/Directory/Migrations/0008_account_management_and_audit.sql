-- Auditors (审计员) are staff accounts of the province, created by the platform operator; they read the audit trails.
alter table accounts drop constraint accounts_role_check;
alter table accounts add constraint accounts_role_check
    check (role in ('platform_operator', 'district_admin', 'school_admin', 'teacher', 'guide_teacher', 'research_office', 'training_institution',
                    'learning_platform', 'auditor'));

-- A disabled account cannot sign in; it is kept (never deleted), so the audit trail's actors stay resolvable.
alter table accounts add column disabled boolean not null default false;

-- An import finishes in the background, long after its request: the job keeps who started it and from where, so the
-- worker's "finished" audit record names the same actor as the upload's "started" one.
alter table import_jobs
    add column requester_login          text null,
    add column requester_client_address text null,
    add column requester_trace_id       text null;
