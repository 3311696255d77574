-- Local copies of other services' facts, built from their events, so enrollment never calls them on a request.
-- Each copy keeps the highest version it has seen: late or repeated messages change nothing.

create table teachers (
    id             uuid        primary key,
    version        int         not null,
    name           text        not null,
    school_id      uuid        not null,
    school_path    text        not null,
    stage          text        not null,
    subject        text        not null,
    class_teacher  boolean     not null,
    in_post        boolean     not null,
    updated_at     timestamptz not null
);

create index ix_teachers_school_path on teachers (school_path text_pattern_ops);
create index ix_teachers_stage on teachers (stage, subject, id);

create table program_years (
    id                          uuid          primary key,
    code                        text          not null,
    name                        text          not null,
    min_annual_hours            numeric(6, 1) not null,
    min_elective_hours          numeric(6, 1) not null,
    group_lists_due             date          not null,
    topic_selection_opens       date          not null,
    topic_selection_closes      date          not null,
    course_selection_opens      date          not null,
    study_starts                date          not null,
    required_study_ends         date          not null,
    credit_registration_closes  date          not null,
    version                     int           not null
);

create unique index ux_program_years_code on program_years (code);

create table window_adjustments (
    id                 uuid        primary key,
    program_year_id    uuid        not null,
    window_name        text        not null,
    organisation_path  text        not null,
    opens_on           date        not null,
    closes_on          date        not null,
    kind               text        not null,
    reason             text        not null,
    adjusted_at        timestamptz not null
);

create index ix_window_adjustments_year on window_adjustments (program_year_id);

create table courses (
    id            uuid          primary key,
    content_id    uuid          not null,
    code          text          not null,
    version       int           not null,
    title         text          not null,
    hours         numeric(6, 1) not null,
    category      text          not null,
    mode          text          not null,
    level         text          not null,
    stages        text[]        not null,
    subjects      text[]        not null,
    status        text          not null,
    changed_at    timestamptz   not null
);

create index ix_courses_content on courses (content_id);

-- Seats are counted here: "taken" only ever changes under the session row's lock, so capacity holds.
create table course_sessions (
    id          uuid    primary key,
    course_id   uuid    not null,
    place       text    not null,
    starts_on   date    not null,
    ends_on     date    not null,
    capacity    int     not null,
    taken       int     not null default 0 check (taken >= 0)
);

create index ix_course_sessions_course on course_sessions (course_id);

create table topics (
    id               uuid    primary key,
    program_year_id  uuid    not null,
    code             text    not null,
    name             text    not null,
    stages           text[]  not null,
    course_ids       uuid[]  not null,
    version          int     not null
);

create index ix_topics_courses on topics using gin (course_ids);

create table school_topics (
    program_year_id  uuid    not null,
    school_id        uuid    not null,
    school_path      text    not null,
    topic_ids        uuid[]  not null,
    version          int     not null,
    frozen           boolean not null,
    primary key (program_year_id, school_id)
);

create table required_packages (
    id               uuid          primary key,
    program_year_id  uuid          not null,
    stage            text          not null,
    subject          text          not null,
    items            jsonb         not null,
    total_hours      numeric(6, 1) not null,
    version          int           not null,
    unique (program_year_id, stage, subject)
);
