-- The program year (年度工程): its hour minimums and dated windows, in province calendar days.
create table program_years (
    id                          uuid          primary key,
    code                        text          not null unique,
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
    version                     int           not null,
    created_at                  timestamptz   not null,
    updated_at                  timestamptz   not null
);

-- Windows opened city by city (staggered) or kept open for one school or district (extended). Rows are never
-- updated or deleted: the history of who moved which window, and why, is kept. The newest row on the deepest
-- organisation above a school applies to it.
create table window_adjustments (
    id                  uuid        primary key,
    program_year_id     uuid        not null references program_years (id),
    window_name         text        not null check (window_name in ('topic_selection', 'course_selection')),
    organisation_id     uuid        not null,
    organisation_path   text        not null,
    opens_on            date        not null,
    closes_on           date        not null check (closes_on >= opens_on),
    kind                text        not null check (kind in ('staggered', 'extended')),
    reason              text        not null,
    adjusted_by         text        not null,
    adjusted_at         timestamptz not null
);

create index ix_window_adjustments_year on window_adjustments (program_year_id, window_name, organisation_path text_pattern_ops);

-- Courses. Each version is its own row; content_id is shared by the versions of one course's content, so a teacher
-- cannot take the same content twice in a cycle through a new version. A published version is never edited:
-- a new version supersedes it.
create table courses (
    id              uuid          primary key,
    code            text          not null,
    version         int           not null,
    content_id      uuid          not null,
    status          text          not null check (status in ('draft', 'published', 'retired')),
    title           text          not null,
    summary         text          not null,
    hours           numeric(6, 1) not null check (hours > 0),
    category        text          not null,
    mode            text          not null,
    level           text          not null,
    stages          text[]        not null,
    subjects        text[]        not null,
    supersedes_id   uuid          null references courses (id),
    -- Title (weight A) and summary (weight B) as CJK unigrams and bigrams, tokenised by the service (see CjkTokens).
    search          tsvector      not null,
    created_by      text          not null,
    created_at      timestamptz   not null,
    updated_at      timestamptz   not null,
    published_at    timestamptz   null,
    retired_at      timestamptz   null,
    retired_reason  text          null,
    unique (code, version)
);

create index ix_courses_search on courses using gin (search);
create index ix_courses_stages on courses using gin (stages);
create index ix_courses_content on courses (content_id);
create index ix_courses_status on courses (status, category, mode, level);

create table course_sessions (
    id          uuid    primary key,
    course_id   uuid    not null references courses (id) on delete cascade,
    place       text    not null,
    starts_on   date    not null,
    ends_on     date    not null check (ends_on >= starts_on),
    capacity    int     not null check (capacity > 0)
);

create index ix_course_sessions_course on course_sessions (course_id);

-- Elective topics (专题) of a program year, each a named set of published courses.
create table topics (
    id               uuid        primary key,
    program_year_id  uuid        not null references program_years (id),
    code             text        not null,
    name             text        not null,
    description      text        not null,
    stages           text[]      not null,
    version          int         not null,
    created_at       timestamptz not null,
    updated_at       timestamptz not null,
    unique (program_year_id, code)
);

create table topic_courses (
    topic_id   uuid not null references topics (id) on delete cascade,
    course_id  uuid not null references courses (id),
    primary key (topic_id, course_id)
);

create index ix_topic_courses_course on topic_courses (course_id);

-- Required packages (必修): per program year, stage and subject ('' = every subject of the stage without its own).
-- items holds the RequiredItem list of the message, so what is stored and what was announced are the same thing.
create table required_packages (
    id               uuid          primary key,
    program_year_id  uuid          not null references program_years (id),
    stage            text          not null,
    subject          text          not null,
    items            jsonb         not null,
    total_hours      numeric(6, 1) not null,
    version          int           not null,
    defined_by       text          not null,
    defined_at       timestamptz   not null,
    unique (program_year_id, stage, subject)
);

-- Each school's elective topics for a year; frozen_at is set when study starts.
create table school_topic_choices (
    program_year_id  uuid        not null references program_years (id),
    school_id        uuid        not null,
    school_path      text        not null,
    topic_ids        uuid[]      not null,
    version          int         not null,
    chosen_by        text        not null,
    chosen_at        timestamptz not null,
    changed_at       timestamptz not null,
    frozen_at        timestamptz null,
    primary key (program_year_id, school_id)
);

create index ix_school_topic_choices_unfrozen on school_topic_choices (program_year_id) where frozen_at is null;

create table school_topic_choice_history (
    id               bigint      generated always as identity primary key,
    program_year_id  uuid        not null,
    school_id        uuid        not null,
    topic_ids        uuid[]      not null,
    change           text        not null,
    changed_by       text        not null,
    changed_at       timestamptz not null
);

create index ix_school_topic_choice_history on school_topic_choice_history (program_year_id, school_id);
