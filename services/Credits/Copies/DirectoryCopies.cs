using Dapper;
using Npgsql;
using TrainingPlatform.BuildingBlocks.Messaging;
using TrainingPlatform.BuildingBlocks.Persistence;
using TrainingPlatform.Contracts.Directory;
using TrainingPlatform.Services.Credits.Ledger;

namespace TrainingPlatform.Services.Credits.Copies;

/// <summary>The teacher facts compliance needs (class teacher, new teacher, normal-school background), newest version kept.</summary>
public sealed class TeacherProfileChangedCopy(NpgsqlDataSource db) : IdempotentConsumer<TeacherProfileChanged>(db)
{
    protected override async Task HandleAsync(TeacherProfileChanged m, UnitOfWork unitOfWork, CancellationToken cancellationToken)
    {
        var stored = await unitOfWork.Connection.ExecuteAsync(new CommandDefinition("""
            insert into teachers (id, version, name, school_id, school_path, stage, subject, hire_date, normal_school_graduate, class_teacher, in_post)
            values (@TeacherId, @Version, @Name, @SchoolId, @SchoolPath, @Stage, @Subject, @HireDate, @NormalSchoolGraduate, @ClassTeacher, @InPost)
            on conflict (id) do update
            set version = excluded.version, name = excluded.name, school_id = excluded.school_id, school_path = excluded.school_path,
                stage = excluded.stage, subject = excluded.subject, hire_date = excluded.hire_date,
                normal_school_graduate = excluded.normal_school_graduate, class_teacher = excluded.class_teacher, in_post = excluded.in_post
            where teachers.version < excluded.version
            """, m, unitOfWork.Transaction, cancellationToken: cancellationToken));
        if (stored > 0)
        {
            await LedgerStore.MarkDirtyAsync(unitOfWork.Connection, unitOfWork.Transaction, [m.TeacherId], cancellationToken);
        }
    }
}
