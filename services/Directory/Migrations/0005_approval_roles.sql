-- The credit approval chain added two staff roles (teaching-research office, training institution); the demo and
-- POST /api/directory/accounts create them, so accounts must accept them.
alter table accounts drop constraint accounts_role_check;
alter table accounts add constraint accounts_role_check
    check (role in ('platform_operator', 'district_admin', 'school_admin', 'teacher', 'guide_teacher', 'research_office', 'training_institution'));
