-- A guide appointed outside their own stage and subject carries the district's reason, shown in every assignment
-- explanation that uses them. Null: the appointment matches what the teacher teaches.
alter table guide_teachers add column cross_reason text;
