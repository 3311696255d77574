using System.Collections;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace TrainingPlatform.BuildingBlocks.Http;

/// <summary>
/// JSON reads <c>[null]</c> into a list of records or strings without complaint, and every check written against a
/// list assumes its elements exist. So no handler sees one: a body with a null element anywhere in it (nested lists
/// and records included) is refused before the handler runs with a 400 naming each path, <c>sessions[0]</c> or
/// <c>rules[1].filter.categories[0]</c>, rule <see cref="Validation.Required"/>. The paths are the JSON names the body
/// was read with.
/// </summary>
public static class NullElements
{
    private const int Unknown = -2;
    private const int NoBody = -1;

    /// <summary>Applies the refusal to every endpoint mapped on <paramref name="builder"/> (a service maps all of its own under one group).</summary>
    public static TBuilder RefuseNullElements<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilterFactory((factory, next) =>
        {
            var parameters = factory.MethodInfo.GetParameters();
            var json = factory.ApplicationServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
            // Which argument is the body is known once the endpoint's metadata is complete, i.e. on its first request.
            var bodyIndex = Unknown;
            return async invocation =>
            {
                if (bodyIndex == Unknown)
                {
                    bodyIndex = BodyIndex(invocation.HttpContext, parameters);
                }
                if (bodyIndex != NoBody && invocation.Arguments[bodyIndex] is { } body && Check(body, json) is { IsValid: false } validation)
                {
                    return validation.ToProblem();
                }
                return await next(invocation);
            };
        });

    /// <summary>Every null element in <paramref name="body"/>, named by its path as the JSON of <paramref name="json"/> spells it.</summary>
    public static Validation Check(object body, JsonSerializerOptions json)
    {
        var validation = new Validation();
        Visit(body, "", json, validation);
        return validation;
    }

    private static int BodyIndex(HttpContext http, ParameterInfo[] parameters)
    {
        var accepts = http.GetEndpoint()?.Metadata.GetMetadata<IAcceptsMetadata>();
        return accepts?.RequestType is { } type && !IsLeaf(type) && accepts.ContentTypes.Any(c => c.Contains("json", StringComparison.OrdinalIgnoreCase))
            ? Array.FindIndex(parameters, p => p.ParameterType == type)
            : NoBody;
    }

    private static void Visit(object value, string path, JsonSerializerOptions json, Validation validation)
    {
        var contract = json.GetTypeInfo(value.GetType());
        switch (contract.Kind)
        {
            case JsonTypeInfoKind.Object:
                foreach (var property in contract.Properties)
                {
                    if (property.Get is { } get && !IsLeaf(property.PropertyType) && get(value) is { } child)
                    {
                        Visit(child, path.Length == 0 ? property.Name : $"{path}.{property.Name}", json, validation);
                    }
                }
                break;
            // A list of Guids or numbers cannot hold a null: JSON refuses one while reading.
            case JsonTypeInfoKind.Enumerable when contract.ElementType is not { IsValueType: true } elementType || !IsLeaf(elementType)
                || Nullable.GetUnderlyingType(elementType) is not null:
                var index = 0;
                foreach (var element in (IEnumerable)value)
                {
                    var at = $"{path}[{index++}]";
                    if (element is null)
                    {
                        validation.AddNullElement(at);
                    }
                    else if (!IsLeaf(element.GetType()))
                    {
                        Visit(element, at, json, validation);
                    }
                }
                break;
        }
    }

    /// <summary>A value that cannot contain a list, so nothing inside it can be a null element.</summary>
    private static bool IsLeaf(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        return t.IsPrimitive || t.IsEnum || t == typeof(string) || t == typeof(decimal) || t == typeof(Guid) || t == typeof(DateOnly)
            || t == typeof(DateTime) || t == typeof(DateTimeOffset) || t == typeof(TimeOnly) || t == typeof(TimeSpan);
    }
}
