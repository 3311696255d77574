using ClosedXML.Excel;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using DocumentFormat.OpenXml.Validation;
using TrainingPlatform.BuildingBlocks.Spreadsheets;
using Xunit;

namespace TrainingPlatform.BuildingBlocks.Tests;

/// <summary>
/// The streamed workbook, written to an output that behaves like a Kestrel response body (cannot seek, refuses
/// synchronous writes), opens in ClosedXML and in the Open XML SDK with what a bureau expects: a bold, frozen header,
/// codes of digits kept as text, Chinese as written, a control character replaced rather than breaking the file,
/// numbers as numbers.
/// </summary>
public sealed class StreamingXlsxTests
{
    private static readonly string[] Headers = ["姓名", "学校代码", "身份证号", "学时", "人数", "日期"];

    private static async IAsyncEnumerable<IReadOnlyList<object?>> Rows(int count)
    {
        yield return ["张三", "000123", "370102199001011234", 12.5m, 3, new DateOnly(2026, 9, 1)];
        yield return ["李\u0001四", "=1+1", "1E5", 0m, 0L, null];
        yield return ["王五", null, "中间空了一格", 1.5, null, new DateOnly(2026, 12, 31)];
        for (var i = 0; i < count; i++)
        {
            await Task.Yield();
            yield return [$"教师{i}", $"{i:D6}", "", i / 10m, i, null];
        }
    }

    [Fact]
    public async Task A_streamed_sheet_opens_in_closedxml_with_text_kept_as_text_and_numbers_as_numbers()
    {
        var output = new ResponseLikeStream();
        var rows = await StreamingXlsx.WriteAsync(output, "2026年度学习进度", Headers, Rows(10_000), CancellationToken.None, [(1, 14)]);
        Assert.Equal(10_003, rows);
        Assert.True(output.Writes > 2, "the file should leave in pieces as it is written, not at the end");

        using var workbook = new XLWorkbook(new MemoryStream(output.ToArray()));
        var sheet = workbook.Worksheets.Single();
        Assert.Equal("2026年度学习进度", sheet.Name);
        Assert.Equal(Headers, sheet.Row(1).Cells(1, 6).Select(c => c.GetString()));
        Assert.All(sheet.Row(1).Cells(1, 6), c => Assert.True(c.Style.Font.Bold));
        Assert.Equal(1, sheet.SheetView.SplitRow);

        Assert.Equal(XLDataType.Text, sheet.Cell(2, 2).DataType);
        Assert.Equal("000123", sheet.Cell(2, 2).GetString());
        Assert.Equal("370102199001011234", sheet.Cell(2, 3).GetString());
        Assert.Equal(XLDataType.Number, sheet.Cell(2, 4).DataType);
        Assert.Equal(12.5, sheet.Cell(2, 4).GetDouble());
        Assert.Equal(3, sheet.Cell(2, 5).GetDouble());
        Assert.Equal(new DateTime(2026, 9, 1), sheet.Cell(2, 6).GetDateTime());

        Assert.Equal("李\uFFFD四", sheet.Cell(3, 1).GetString());
        Assert.Equal("=1+1", sheet.Cell(3, 2).GetString());
        Assert.False(sheet.Cell(3, 2).HasFormula);
        Assert.Equal(XLDataType.Text, sheet.Cell(3, 3).DataType);
        Assert.True(sheet.Cell(3, 6).IsEmpty());

        Assert.True(sheet.Cell(4, 2).IsEmpty());
        Assert.Equal("中间空了一格", sheet.Cell(4, 3).GetString());
        Assert.Equal(1.5, sheet.Cell(4, 4).GetDouble());
        Assert.True(sheet.Cell(4, 5).IsEmpty());
        Assert.Equal(new DateTime(2026, 12, 31), sheet.Cell(4, 6).GetDateTime());

        Assert.Equal(10_004, sheet.LastRowUsed()!.RowNumber());
        Assert.Equal(["教师9999", "009999"], sheet.Row(10_004).Cells(1, 2).Select(c => c.GetString()));
    }

    [Fact]
    public async Task A_streamed_sheet_is_a_valid_package_for_the_open_xml_sdk()
    {
        var output = new ResponseLikeStream();
        await StreamingXlsx.WriteAsync(output, "a/b:c?[d]*这是一个超过三十一个字符的很长很长很长很长很长很长的工作表名称", Headers, Rows(10), CancellationToken.None);

        using var document = SpreadsheetDocument.Open(new MemoryStream(output.ToArray()), false);
        Assert.Empty(new OpenXmlValidator().Validate(document).Select(e => $"{e.Path?.XPath}: {e.Description}"));
        var sheet = document.WorkbookPart!.Workbook.Sheets!.Elements<Sheet>().Single();
        Assert.True(sheet.Name!.Value!.Length <= 31);
        var rows = document.WorkbookPart.WorksheetParts.Single().Worksheet.Descendants<Row>().ToList();
        Assert.Equal(14, rows.Count);
        var code = rows[1].Elements<Cell>().ElementAt(1);
        Assert.Equal(CellValues.InlineString, code.DataType!.Value);
        Assert.Equal("000123", code.InnerText);
    }

    [Fact]
    public async Task An_empty_sheet_is_still_a_workbook_with_its_header()
    {
        var output = new ResponseLikeStream();
        var rows = await StreamingXlsx.WriteAsync(output, "空", Headers, Empty(), CancellationToken.None);
        Assert.Equal(0, rows);
        using var workbook = new XLWorkbook(new MemoryStream(output.ToArray()));
        Assert.Equal(1, workbook.Worksheets.Single().LastRowUsed()!.RowNumber());
    }

    private static async IAsyncEnumerable<IReadOnlyList<object?>> Empty()
    {
        await Task.CompletedTask;
        yield break;
    }

    /// <summary>A response body: cannot seek or read, and synchronous writes are refused, as Kestrel refuses them.</summary>
    private sealed class ResponseLikeStream : Stream
    {
        private readonly MemoryStream _written = new();

        public int Writes { get; private set; }
        public byte[] ToArray() => _written.ToArray();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            Writes++;
            _written.Write(buffer.Span);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public override void Write(byte[] buffer, int offset, int count) => throw new InvalidOperationException("Synchronous operations are disallowed.");
        public override void Flush() => throw new InvalidOperationException("Synchronous operations are disallowed.");
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
