-- Running balances: a teacher's hours per year and per kind of credit, updated in the same transaction as every
-- ledger entry, so compliance and reports never scan the ledger. Any policy rule is a sum over a teacher's few
-- balance rows.
create table balances (
    teacher_id  uuid          not null,
    year        int           not null,
    category    text          not null,
    mode        text          not null,
    level       text          not null,
    source      text          not null,
    hours       numeric(8, 1) not null,
    primary key (teacher_id, year, category, mode, level, source)
);

insert into balances (teacher_id, year, category, mode, level, source, hours)
select teacher_id, year, category, mode, level, source, sum(hours)
from ledger_entries group by 1, 2, 3, 4, 5, 6;

-- The standing row carries the school and the hours so that lists are one index range, and so that the school
-- roll-up below can be kept by deltas.
alter table compliance add column school_path text not null default '';
alter table compliance add column hours numeric(8, 1) not null default 0;
create index ix_compliance_school on compliance (school_path text_pattern_ops, cycle_start, overall);

-- Per school and cycle: how many teachers stand where. Kept by the evaluator with each change of a teacher's standing,
-- so a province summary adds up tens of thousands of school rows instead of a million teachers.
create table school_rollups (
    school_path  text          not null,
    cycle_start  int           not null,
    teachers     int           not null default 0,
    met          int           not null default 0,
    on_track     int           not null default 0,
    at_risk      int           not null default 0,
    not_met      int           not null default 0,
    not_started  int           not null default 0,
    hours        numeric(12, 1) not null default 0,
    primary key (school_path, cycle_start)
);

-- Teachers out of post keep their standing but are not counted in roll-ups.
alter table compliance add column counted boolean not null default true;
alter table school_rollups add column certificates int not null default 0;
