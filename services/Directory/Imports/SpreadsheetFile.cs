namespace TrainingPlatform.Services.Directory.Imports;

/// <summary>An uploaded sheet as rows of text with their line numbers, whether it came as CSV or XLSX.</summary>
public static class SpreadsheetFile
{
    public static IReadOnlyList<(int Line, IReadOnlyList<string> Fields)> Read(byte[] content, string fileName)
    {
        // XLSX is a zip archive: "PK\x03\x04".
        var isXlsx = content.Length > 4 && content[0] == 'P' && content[1] == 'K' && content[2] == 3 && content[3] == 4;
        if (isXlsx)
        {
            return Xlsx.Read(content);
        }
        return Csv.Parse(Csv.Decode(content));
    }
}
