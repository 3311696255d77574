-- A counter that moves whenever anything a search answer shows changes (courses, topics, which courses a topic has),
-- so every replica's cache of search answers is keyed by it: a cached answer is never served after a change, on any
-- replica, without the services telling each other. Operators' writes are rare; statement-level triggers keep a bulk
-- write to one bump.
create table catalogue_stamp (
    only_row  boolean primary key default true check (only_row),
    stamp     bigint  not null
);
insert into catalogue_stamp (stamp) values (1);

create function bump_catalogue_stamp() returns trigger language plpgsql as $$
begin
    update catalogue_stamp set stamp = stamp + 1;
    return null;
end $$;

create trigger courses_bump_catalogue_stamp after insert or update or delete on courses
    for each statement execute function bump_catalogue_stamp();
create trigger topics_bump_catalogue_stamp after insert or update or delete on topics
    for each statement execute function bump_catalogue_stamp();
create trigger topic_courses_bump_catalogue_stamp after insert or update or delete on topic_courses
    for each statement execute function bump_catalogue_stamp();
