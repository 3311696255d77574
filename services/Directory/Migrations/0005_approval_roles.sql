-- Staff roles added after accounts were created: the credit approval chain's teaching-research office and training
-- institution, and the learning platform's machine account. The demo and POST /api/directory/accounts create them,
-- so accounts must accept them (a fresh start failed on this check).
alter table accounts drop constraint accounts_role_check;
alter table accounts add constraint accounts_role_check
    check (role in ('platform_operator', 'district_admin', 'school_admin', 'teacher', 'guide_teacher', 'research_office', 'training_institution',
                    'learning_platform'));
