-- Local copies (from Directory, Catalog and Enrollment events).
create table teachers (
    id                      uuid        primary key,
    version                 int         not null,
    name                    text        not null,
    school_id               uuid        not null,
    school_path             text        not null,
    stage                   text        not null,
    subject                 text        not null,
    hire_date               date        not null,
    normal_school_graduate  boolean     not null,
    class_teacher           boolean     not null,
    in_post                 boolean     not null
);

create index ix_teachers_school_path on teachers (school_path text_pattern_ops);

create table program_years (
    id                          uuid    primary key,
    code                        text    not null,
    year                        int     not null,
    credit_registration_closes  date    not null,
    version                     int     not null
);

-- A year the teacher opted out of (or dropped out of, or failed): its assessment fails whatever the hours.
create table failed_years (
    teacher_id  uuid        not null,
    year        int         not null,
    reason      text        not null,
    recorded_at timestamptz not null,
    primary key (teacher_id, year)
);

-- The ledger. Rows are never updated or deleted: a correction is a reversing row (negative hours) naming the
-- original. source_ref makes each credit post once, however often its cause is delivered.
create table ledger_entries (
    id            uuid          primary key,
    teacher_id    uuid          not null,
    hours         numeric(6, 1) not null check (hours <> 0),
    category      text          not null,
    mode          text          not null,
    level         text          not null,
    source        text          not null,
    source_ref    text          not null unique,
    content_id    uuid          null,
    title         text          not null,
    year          int           not null,
    cycle_start   int           not null,
    reverses_id   uuid          null unique references ledger_entries (id),
    reason        text          null,
    posted_by     text          not null,
    posted_at     timestamptz   not null
);

create index ix_ledger_teacher on ledger_entries (teacher_id, cycle_start);
-- 重复参训: the same course content earns once per cycle.
create unique index ux_ledger_content_once on ledger_entries (teacher_id, content_id, cycle_start)
    where content_id is not null and reverses_id is null;

-- Credits that were not posted, and why (the same content again, registration closed …), shown on the transcript.
create table ledger_refusals (
    id          bigint      generated always as identity primary key,
    teacher_id  uuid        not null,
    source_ref  text        not null unique,
    title       text        not null,
    hours       numeric(6, 1) not null,
    reason      text        not null,
    refused_at  timestamptz not null
);

create index ix_ledger_refusals_teacher on ledger_refusals (teacher_id);

-- Years whose registration deadline an operator reopened, until when and why.
create table year_reopenings (
    id           bigint      generated always as identity primary key,
    year         int         not null,
    reopened_to  date        not null,
    reason       text        not null,
    reopened_by  text        not null,
    reopened_at  timestamptz not null
);

-- Credit policies (presets and the province's own). One is active.
create table credit_policies (
    code              text        primary key,
    name              text        not null,
    cycle_years       int         not null check (cycle_years between 1 and 10),
    first_cycle_year  int         not null,
    rules             jsonb       not null,
    active            boolean     not null default false,
    version           int         not null,
    updated_by        text        not null,
    updated_at        timestamptz not null
);

create unique index ux_credit_policies_active on credit_policies (active) where active;

-- Offline credits: teacher applies → school reviews → teaching-research office certifies → training institution registers.
create table credit_applications (
    id              uuid          primary key,
    teacher_id      uuid          not null,
    school_path     text          not null,
    title           text          not null,
    description     text          not null,
    hours           numeric(6, 1) not null check (hours > 0),
    category        text          not null,
    mode            text          not null,
    level           text          not null,
    source          text          not null,
    occurred_on     date          not null,
    attachment_ref  text          not null,
    status          text          not null check (status in ('submitted', 'school_reviewed', 'certified', 'registered', 'rejected')),
    version         int           not null,
    created_at      timestamptz   not null,
    updated_at      timestamptz   not null
);

create index ix_credit_applications_scope on credit_applications (status, school_path text_pattern_ops);
create index ix_credit_applications_teacher on credit_applications (teacher_id);

create table credit_application_steps (
    id              bigint      generated always as identity primary key,
    application_id  uuid        not null references credit_applications (id),
    step            text        not null,
    decision        text        not null,
    reason          text        null,
    actor           text        not null,
    actor_role      text        not null,
    decided_at      timestamptz not null
);

create index ix_credit_application_steps on credit_application_steps (application_id, id);

-- Each teacher's standing per cycle, kept up to date by the evaluator (reports read it; the teacher's own view
-- computes it fresh).
create table compliance (
    teacher_id     uuid        not null,
    cycle_start    int         not null,
    overall        text        not null,
    summary        text        not null,
    rules          jsonb       not null,
    evaluated_at   timestamptz not null,
    primary key (teacher_id, cycle_start)
);

create index ix_compliance_overall on compliance (cycle_start, overall);

-- Teachers whose standing must be evaluated again (a new entry, a policy change …).
create table compliance_dirty (
    teacher_id  uuid        primary key,
    marked_at   timestamptz not null
);

create sequence certificate_numbers;

create table certificates (
    id            uuid        primary key,
    number        text        not null unique,
    teacher_id    uuid        not null,
    teacher_name  text        not null,
    school_path   text        not null,
    cycle_start   int         not null,
    cycle_end     int         not null,
    total_hours   numeric(6, 1) not null,
    issued_at     timestamptz not null,
    revoked_at    timestamptz null,
    revoked_reason text       null
);

create unique index ux_certificates_once on certificates (teacher_id, cycle_start) where revoked_at is null;
create index ix_certificates_scope on certificates (school_path text_pattern_ops);
