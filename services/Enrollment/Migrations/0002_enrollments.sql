-- A teacher's courses of a program year. Hours, content and category are read from the course copy, never copied
-- here, so a required course pushed before its CoursePublished arrives is still right once it does.
create table enrollments (
    id                    uuid          primary key,
    teacher_id            uuid          not null,
    program_year_id       uuid          not null,
    course_id             uuid          not null,
    kind                  text          not null check (kind in ('required', 'elective')),
    required_item_id      uuid          null,
    session_id            uuid          null,
    status                text          not null check (status in ('enrolled', 'completed', 'withdrawn')),
    -- Progress is cumulative and only grows, so reports that come late, twice or out of order merge to the same state.
    minutes_studied       int           not null default 0,
    percent               numeric(5, 2) not null default 0,
    test_passed           boolean       not null default false,
    test_score            numeric(5, 1) null,
    assignment_handed_in  boolean       not null default false,
    last_report_at        timestamptz   null,
    enrolled_at           timestamptz   not null,
    completed_at          timestamptz   null,
    withdrawn_at          timestamptz   null,
    withdrawn_reason      text          null
);

create unique index ux_enrollments_active on enrollments (teacher_id, program_year_id, course_id) where status <> 'withdrawn';
create index ix_enrollments_teacher on enrollments (teacher_id, program_year_id);
create index ix_enrollments_course on enrollments (course_id) where status <> 'withdrawn';

-- Waiting for a seat of a full concentrated session, first come first served.
create table waiting_list (
    id               bigint      generated always as identity primary key,
    session_id       uuid        not null,
    teacher_id       uuid        not null,
    program_year_id  uuid        not null,
    course_id        uuid        not null,
    status           text        not null check (status in ('waiting', 'promoted', 'left')),
    joined_at        timestamptz not null,
    settled_at       timestamptz null
);

create unique index ux_waiting_list_waiting on waiting_list (session_id, teacher_id) where status = 'waiting';
create index ix_waiting_list_queue on waiting_list (session_id, id) where status = 'waiting';

-- Progress reports already applied, by the learning side's report id.
create table progress_reports (
    report_id      text        primary key,
    enrollment_id  uuid        not null,
    received_at    timestamptz not null
);

create table opt_outs (
    teacher_id           uuid        not null,
    program_year_id      uuid        not null,
    statement_reference  text        not null,
    reason               text        not null,
    recorded_by          text        not null,
    recorded_at          timestamptz not null,
    primary key (teacher_id, program_year_id)
);

-- Required packages to push to every teacher of a stage, worked through in batches (keyset on teacher id).
create table required_push_jobs (
    id               bigint      generated always as identity primary key,
    program_year_id  uuid        not null,
    stage            text        not null,
    after_teacher    uuid        null,
    requested_at     timestamptz not null,
    done_at          timestamptz null
);

create index ix_required_push_jobs_open on required_push_jobs (id) where done_at is null;
