-- Bulk certificate runs for a school or district: evaluate everyone in scope, issue what is due, and render one
-- printable file of all valid certificates. Progress is rows done / total.
create table certificate_jobs (
    id            uuid        primary key,
    scope_path    text        not null,
    requested_by  text        not null,
    status        text        not null check (status in ('queued', 'running', 'succeeded', 'failed')),
    total         int         not null default 0,
    done          int         not null default 0,
    issued        int         not null default 0,
    certificates  int         not null default 0,
    error         text        null,
    content       bytea       null,
    created_at    timestamptz not null,
    finished_at   timestamptz null
);

create index ix_certificate_jobs_queued on certificate_jobs (created_at) where status = 'queued';
create index ix_compliance_teacher on compliance (teacher_id);
