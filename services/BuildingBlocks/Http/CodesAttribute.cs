using System.Reflection;

namespace TrainingPlatform.BuildingBlocks.Http;

/// <summary>
/// Says that a string (or each string of a list) is one of the codes of <paramref name="codes"/>: a reference class
/// with a static <c>Names</c> map, code → Chinese name (<c>CourseCategories</c>, <c>Roles</c> …). The OpenAPI
/// documents list those codes as the schema's enum, with their names, read from the same map the rules use, so the
/// document cannot drift from the code.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter | AttributeTargets.Field)]
public sealed class CodesAttribute(Type codes) : Attribute
{
    public Type Codes { get; } = codes;

    /// <summary>The codes and their names, in the order the reference class lists them.</summary>
    public IReadOnlyDictionary<string, string> Names =>
        (Codes.GetField("Names", BindingFlags.Public | BindingFlags.Static)?.GetValue(null)
         ?? Codes.GetProperty("Names", BindingFlags.Public | BindingFlags.Static)?.GetValue(null)) as IReadOnlyDictionary<string, string>
        ?? throw new InvalidOperationException($"{Codes.Name} has no static Names map of its codes");
}
