using System.Xml.Linq;
using Dapper;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.Options;
using Npgsql;

namespace TrainingPlatform.Portal.Account;

/// <summary>
/// Keeps the Data Protection key ring (what encrypts the sign-in cookie) in portaldb, so a restart or another
/// replica of the portal can still read the cookies it issued. Keys are written once and never changed.
/// </summary>
internal sealed class StoreKeysInPortalDatabase(NpgsqlDataSource db) : IConfigureOptions<KeyManagementOptions>
{
    public void Configure(KeyManagementOptions options) => options.XmlRepository = new PostgresXmlRepository(db);

    private sealed class PostgresXmlRepository(NpgsqlDataSource db) : IXmlRepository
    {
        public IReadOnlyCollection<XElement> GetAllElements()
        {
            using var connection = db.OpenConnection();
            return [.. connection.Query<string>("select xml from data_protection_keys order by created_at").Select(XElement.Parse)];
        }

        public void StoreElement(XElement element, string friendlyName)
        {
            using var connection = db.OpenConnection();
            connection.Execute("insert into data_protection_keys (name, xml) values (@Name, @Xml) on conflict (name) do nothing",
                new { Name = friendlyName, Xml = element.ToString(SaveOptions.DisableFormatting) });
        }
    }
}
