-- Local copies of other services' facts, built from their events, so mentoring never calls them on a request.
-- Each copy keeps the highest version (or the newest snapshot) it has seen: late or repeated messages change nothing.

create table organisations (
    id          uuid        primary key,
    code        text        not null,
    name        text        not null,
    kind        text        not null,
    parent_id   uuid        null,
    path        text        not null,
    stages      text[]      not null default '{}',
    updated_at  timestamptz not null
);

create unique index ux_organisations_code on organisations (code);
create index ix_organisations_path on organisations (path text_pattern_ops);

create table teachers (
    id             uuid        primary key,
    version        int         not null,
    name           text        not null,
    school_id      uuid        not null,
    school_path    text        not null,
    stage          text        not null,
    subject        text        not null,
    hire_date      date        not null,
    tier           text        not null,
    class_teacher  boolean     not null,
    in_post        boolean     not null,
    updated_at     timestamptz not null
);

create index ix_teachers_school_path on teachers (school_path text_pattern_ops);
create index ix_teachers_school on teachers (school_id, stage, subject);

create table program_years (
    id                          uuid    primary key,
    code                        text    not null,
    name                        text    not null,
    group_lists_due             date    not null,
    study_starts                date    not null,
    credit_registration_closes  date    not null,
    version                     int     not null
);

create unique index ux_program_years_code on program_years (code);

create table topics (
    id               uuid    primary key,
    program_year_id  uuid    not null,
    code             text    not null,
    name             text    not null,
    stages           text[]  not null,
    version          int     not null
);

create index ix_topics_year on topics (program_year_id);

create table school_topics (
    program_year_id  uuid    not null,
    school_id        uuid    not null,
    school_path      text    not null,
    topic_ids        uuid[]  not null,
    version          int     not null,
    primary key (program_year_id, school_id)
);

create index ix_school_topics_topics on school_topics using gin (topic_ids);

-- Study progress as Enrollment announces it: electives when chosen, every course when completed. Required courses
-- are not announced when pushed, so a row may first appear completed.
create table course_progress (
    enrollment_id    uuid          primary key,
    teacher_id       uuid          not null,
    program_year_id  uuid          not null,
    course_id        uuid          not null,
    kind             text          not null,
    status           text          not null check (status in ('enrolled', 'completed', 'withdrawn')),
    title            text          null,
    hours            numeric(6, 1) null,
    category         text          null,
    completed_at     timestamptz   null,
    changed_at       timestamptz   not null
);

create index ix_course_progress_teacher on course_progress (teacher_id, program_year_id);

create table opt_outs (
    teacher_id       uuid        not null,
    program_year_id  uuid        not null,
    reason           text        not null,
    recorded_at      timestamptz not null,
    primary key (teacher_id, program_year_id)
);
