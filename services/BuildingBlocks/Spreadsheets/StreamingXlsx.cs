using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Xml;

namespace TrainingPlatform.BuildingBlocks.Spreadsheets;

/// <summary>
/// A one-sheet XLSX written to a stream as its rows arrive, in constant memory: the same sheet as <see cref="XlsxSheet"/>
/// (bold, frozen header row; text always as text; numbers as numbers) for exports too large to build in memory.
/// <para>
/// The output is only ever written asynchronously (Kestrel forbids synchronous IO on a response body, and a job's
/// output is a database): the zip package and the sheet's XML are written synchronously into a small in-memory buffer,
/// which is handed to the output with <c>WriteAsync</c> each time it holds <see cref="DrainAt"/> bytes. The package is a
/// zip written entry by entry; on an output that cannot seek each entry's sizes follow its data (a data descriptor),
/// which Excel, ClosedXML and the Open XML SDK all read. What stays in memory is the deflater's window and the buffer,
/// whatever the number of rows.
/// </para>
/// </summary>
public sealed class StreamingXlsx : IAsyncDisposable
{
    public const string ContentType = XlsxSheet.ContentType;

    /// <summary>How much compressed output is held before it is handed to the output stream.</summary>
    public const int DrainAt = 64 * 1024;

    private const string Main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    private const string Relationships = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    private const string PackageRelationships = "http://schemas.openxmlformats.org/package/2006/relationships";

    private const int BoldStyle = 1;
    private const int DateStyle = 2;

    private readonly Stream _output;
    private readonly PendingBytes _pending = new();
    private readonly ZipArchive _zip;
    private readonly CancellationToken _cancellationToken;
    private Stream? _sheetEntry;
    private XmlWriter? _sheet;
    private int _row = 1;
    private bool _completed;

    private StreamingXlsx(Stream output, CancellationToken cancellationToken)
    {
        _output = output;
        _cancellationToken = cancellationToken;
        _zip = new ZipArchive(_pending, ZipArchiveMode.Create, leaveOpen: true, Encoding.UTF8);
    }

    /// <summary>Rows written so far, the header not counted.</summary>
    public int Rows => _row - 1;

    /// <summary>
    /// Writes a whole workbook: the header, then each row as it arrives. A row is a list of cell values: null (empty),
    /// int, long, decimal, double (numbers), DateOnly (a date), anything else as text. Returns the number of rows.
    /// </summary>
    public static async Task<int> WriteAsync(Stream output, string sheetName, IReadOnlyList<string> headers,
        IAsyncEnumerable<IReadOnlyList<object?>> rows, CancellationToken cancellationToken, IReadOnlyList<(int Column, double Width)>? widths = null)
    {
        await using var sheet = await StartAsync(output, sheetName, headers, cancellationToken, widths);
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            await sheet.WriteRowAsync(row);
        }
        await sheet.CompleteAsync();
        return sheet.Rows;
    }

    /// <summary>Starts the workbook: every part but the sheet's rows is written, then the header row.</summary>
    public static async Task<StreamingXlsx> StartAsync(Stream output, string sheetName, IReadOnlyList<string> headers, CancellationToken cancellationToken,
        IReadOnlyList<(int Column, double Width)>? widths = null)
    {
        var xlsx = new StreamingXlsx(output, cancellationToken);
        xlsx.WritePackageParts(SheetName(sheetName));
        xlsx.BeginSheet(headers, widths ?? []);
        await xlsx.DrainAsync(0);
        return xlsx;
    }

    public async ValueTask WriteRowAsync(IReadOnlyList<object?> cells)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        var sheet = _sheet!;
        var r = ++_row;
        sheet.WriteStartElement("row", Main);
        sheet.WriteAttributeString("r", r.ToString(CultureInfo.InvariantCulture));
        var gap = false;
        for (var c = 0; c < cells.Count; c++)
        {
            if (cells[c] is null)
            {
                gap = true;
                continue;
            }
            WriteCell(sheet, gap ? Reference(c, r) : null, cells[c], style: 0);
            gap = false;
        }
        sheet.WriteEndElement();
        if (r % 64 == 0)
        {
            // Into the deflater (the entry ignores Flush, so compression is not broken into sync-flushed blocks).
            sheet.Flush();
            await DrainAsync(DrainAt);
        }
    }

    /// <summary>Ends the sheet and the package and writes what is left to the output (which stays open).</summary>
    public async Task CompleteAsync()
    {
        if (_completed)
        {
            return;
        }
        _completed = true;
        _sheet!.WriteEndElement(); // sheetData
        _sheet.WriteEndElement(); // worksheet
        _sheet.WriteEndDocument();
        _sheet.Dispose();
        _sheetEntry!.Dispose();
        _zip.Dispose(); // the central directory, into the buffer
        await DrainAsync(0);
        await _output.FlushAsync(_cancellationToken);
    }

    /// <summary>Without <see cref="CompleteAsync"/> (a failure), the output is left as it is: an unfinished file.</summary>
    public ValueTask DisposeAsync()
    {
        if (!_completed)
        {
            _completed = true;
            _sheet?.Dispose();
        }
        _pending.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task DrainAsync(int atLeast)
    {
        if (_pending.Length > atLeast)
        {
            await _output.WriteAsync(_pending.Written, _cancellationToken);
            _pending.Clear();
        }
    }

    private void WritePackageParts(string sheetName)
    {
        Part("[Content_Types].xml", xml =>
        {
            xml.WriteStartElement("Types", "http://schemas.openxmlformats.org/package/2006/content-types");
            Default(xml, "rels", "application/vnd.openxmlformats-package.relationships+xml");
            Default(xml, "xml", "application/xml");
            Override(xml, "/xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml");
            Override(xml, "/xl/worksheets/sheet1.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml");
            Override(xml, "/xl/styles.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml");
            xml.WriteEndElement();
        });
        Part("_rels/.rels", xml =>
        {
            xml.WriteStartElement("Relationships", PackageRelationships);
            Relationship(xml, "rId1", "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument", "xl/workbook.xml");
            xml.WriteEndElement();
        });
        Part("xl/workbook.xml", xml =>
        {
            xml.WriteStartElement("workbook", Main);
            xml.WriteAttributeString("xmlns", "r", null, Relationships);
            xml.WriteStartElement("sheets", Main);
            xml.WriteStartElement("sheet", Main);
            xml.WriteAttributeString("name", sheetName);
            xml.WriteAttributeString("sheetId", "1");
            xml.WriteAttributeString("id", Relationships, "rId1");
            xml.WriteEndElement();
            xml.WriteEndElement();
            xml.WriteEndElement();
        });
        Part("xl/_rels/workbook.xml.rels", xml =>
        {
            xml.WriteStartElement("Relationships", PackageRelationships);
            Relationship(xml, "rId1", "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet", "worksheets/sheet1.xml");
            Relationship(xml, "rId2", "http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles", "styles.xml");
            xml.WriteEndElement();
        });
        Part("xl/styles.xml", xml =>
        {
            // The least a stylesheet must hold (a font, the two reserved fills, a border), then bold (1) and a date (2).
            xml.WriteStartElement("styleSheet", Main);
            xml.WriteStartElement("fonts", Main);
            xml.WriteAttributeString("count", "2");
            xml.WriteElementString("font", Main, "");
            xml.WriteStartElement("font", Main);
            xml.WriteElementString("b", Main, "");
            xml.WriteEndElement();
            xml.WriteEndElement();
            xml.WriteStartElement("fills", Main);
            xml.WriteAttributeString("count", "2");
            foreach (var pattern in new[] { "none", "gray125" })
            {
                xml.WriteStartElement("fill", Main);
                xml.WriteStartElement("patternFill", Main);
                xml.WriteAttributeString("patternType", pattern);
                xml.WriteEndElement();
                xml.WriteEndElement();
            }
            xml.WriteEndElement();
            xml.WriteStartElement("borders", Main);
            xml.WriteAttributeString("count", "1");
            xml.WriteElementString("border", Main, "");
            xml.WriteEndElement();
            xml.WriteStartElement("cellXfs", Main);
            xml.WriteAttributeString("count", "3");
            foreach (var (font, format) in new[] { (0, 0), (1, 0), (0, 14) })
            {
                xml.WriteStartElement("xf", Main);
                xml.WriteAttributeString("numFmtId", format.ToString(CultureInfo.InvariantCulture));
                xml.WriteAttributeString("fontId", font.ToString(CultureInfo.InvariantCulture));
                xml.WriteAttributeString("fillId", "0");
                xml.WriteAttributeString("borderId", "0");
                if (font != 0)
                {
                    xml.WriteAttributeString("applyFont", "1");
                }
                if (format != 0)
                {
                    xml.WriteAttributeString("applyNumberFormat", "1");
                }
                xml.WriteEndElement();
            }
            xml.WriteEndElement();
            xml.WriteEndElement();
        });
    }

    private void BeginSheet(IReadOnlyList<string> headers, IReadOnlyList<(int Column, double Width)> widths)
    {
        var entry = _zip.CreateEntry("xl/worksheets/sheet1.xml", CompressionLevel.Optimal);
        _sheetEntry = entry.Open();
        var sheet = _sheet = XmlWriter.Create(new IgnoresFlush(_sheetEntry), Settings);
        sheet.WriteStartDocument(standalone: true);
        sheet.WriteStartElement("worksheet", Main);
        sheet.WriteStartElement("sheetViews", Main);
        sheet.WriteStartElement("sheetView", Main);
        sheet.WriteAttributeString("tabSelected", "1");
        sheet.WriteAttributeString("workbookViewId", "0");
        sheet.WriteStartElement("pane", Main);
        sheet.WriteAttributeString("ySplit", "1");
        sheet.WriteAttributeString("topLeftCell", "A2");
        sheet.WriteAttributeString("activePane", "bottomLeft");
        sheet.WriteAttributeString("state", "frozen");
        sheet.WriteEndElement();
        sheet.WriteEndElement();
        sheet.WriteEndElement();
        if (widths.Count > 0)
        {
            sheet.WriteStartElement("cols", Main);
            foreach (var (column, width) in widths.OrderBy(w => w.Column))
            {
                sheet.WriteStartElement("col", Main);
                sheet.WriteAttributeString("min", column.ToString(CultureInfo.InvariantCulture));
                sheet.WriteAttributeString("max", column.ToString(CultureInfo.InvariantCulture));
                sheet.WriteAttributeString("width", width.ToString(CultureInfo.InvariantCulture));
                sheet.WriteAttributeString("customWidth", "1");
                sheet.WriteEndElement();
            }
            sheet.WriteEndElement();
        }
        sheet.WriteStartElement("sheetData", Main);
        sheet.WriteStartElement("row", Main);
        sheet.WriteAttributeString("r", "1");
        for (var c = 0; c < headers.Count; c++)
        {
            WriteCell(sheet, null, headers[c], BoldStyle);
        }
        sheet.WriteEndElement();
        sheet.Flush();
    }

    /// <summary>
    /// A cell. Its reference (r="B2") is left out, as the format allows, when it is the next after the one before —
    /// the references, each one different, were a third of the compressed file — and given after an empty cell.
    /// </summary>
    private static void WriteCell(XmlWriter sheet, string? reference, object? value, int style)
    {
        sheet.WriteStartElement("c", Main);
        if (reference is not null)
        {
            sheet.WriteAttributeString("r", reference);
        }
        if (value is DateOnly)
        {
            style = DateStyle;
        }
        if (style != 0)
        {
            sheet.WriteAttributeString("s", style.ToString(CultureInfo.InvariantCulture));
        }
        var number = value switch
        {
            int i => i.ToString(CultureInfo.InvariantCulture),
            long l => l.ToString(CultureInfo.InvariantCulture),
            decimal d => d.ToString(CultureInfo.InvariantCulture),
            double d when double.IsFinite(d) => d.ToString("R", CultureInfo.InvariantCulture),
            DateOnly date => (date.DayNumber - new DateOnly(1899, 12, 30).DayNumber).ToString(CultureInfo.InvariantCulture),
            _ => null,
        };
        if (number is not null)
        {
            sheet.WriteElementString("v", Main, number);
        }
        else
        {
            // Text, always, written inline: a code of digits must not turn into a number, nor a name into a formula.
            sheet.WriteAttributeString("t", "inlineStr");
            sheet.WriteStartElement("is", Main);
            sheet.WriteStartElement("t", Main);
            sheet.WriteAttributeString("xml", "space", null, "preserve");
            sheet.WriteString(XlsxSheet.Cell(Convert.ToString(value, CultureInfo.InvariantCulture) ?? ""));
            sheet.WriteEndElement();
            sheet.WriteEndElement();
        }
        sheet.WriteEndElement();
    }

    private static readonly string[] Letters = [.. Enumerable.Range(0, 16_384).Select(ColumnName)];

    private static string ColumnName(int index)
    {
        var name = "";
        for (var n = index + 1; n > 0; n = (n - 1) / 26)
        {
            name = (char)('A' + (n - 1) % 26) + name;
        }
        return name;
    }

    private static string Reference(int column, int row) => string.Concat(Letters[column], row.ToString(CultureInfo.InvariantCulture));

    /// <summary>A sheet name Excel accepts: at most 31 characters, none of : \ / ? * [ ].</summary>
    private static string SheetName(string name)
    {
        var cleaned = new string([.. XlsxSheet.Cell(name).Select(ch => ":\\/?*[]".Contains(ch) ? '_' : ch)]).Trim('\'');
        return cleaned.Length == 0 ? "Sheet1" : cleaned.Length > 31 ? cleaned[..31] : cleaned;
    }

    private static readonly XmlWriterSettings Settings = new() { Encoding = new UTF8Encoding(false), CloseOutput = false };

    private void Part(string name, Action<XmlWriter> write)
    {
        using var entry = _zip.CreateEntry(name, CompressionLevel.Optimal).Open();
        using var xml = XmlWriter.Create(entry, Settings);
        xml.WriteStartDocument(standalone: true);
        write(xml);
        xml.WriteEndDocument();
    }

    private static void Default(XmlWriter xml, string extension, string contentType)
    {
        xml.WriteStartElement("Default", "http://schemas.openxmlformats.org/package/2006/content-types");
        xml.WriteAttributeString("Extension", extension);
        xml.WriteAttributeString("ContentType", contentType);
        xml.WriteEndElement();
    }

    private static void Override(XmlWriter xml, string part, string contentType)
    {
        xml.WriteStartElement("Override", "http://schemas.openxmlformats.org/package/2006/content-types");
        xml.WriteAttributeString("PartName", part);
        xml.WriteAttributeString("ContentType", contentType);
        xml.WriteEndElement();
    }

    private static void Relationship(XmlWriter xml, string id, string type, string target)
    {
        xml.WriteStartElement("Relationship", PackageRelationships);
        xml.WriteAttributeString("Id", id);
        xml.WriteAttributeString("Type", type);
        xml.WriteAttributeString("Target", target);
        xml.WriteEndElement();
    }

    /// <summary>
    /// The package's bytes not yet handed to the output: written synchronously by the zip (memory only), taken away
    /// asynchronously by <see cref="DrainAsync"/>. It cannot seek, so the zip writes each entry's sizes after its data.
    /// </summary>
    private sealed class PendingBytes : Stream
    {
        private byte[] _buffer = new byte[2 * DrainAt];
        private int _length;

        public ReadOnlyMemory<byte> Written => _buffer.AsMemory(0, _length);
        public void Clear() => _length = 0;

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (_length + buffer.Length > _buffer.Length)
            {
                Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + buffer.Length));
            }
            buffer.CopyTo(_buffer.AsSpan(_length));
            _length += buffer.Length;
        }

        public override void WriteByte(byte value) => Write([value]);

        public override void Flush()
        {
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _length;
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    /// <summary>
    /// The sheet entry as the XML writer sees it: a flush of the writer's characters must not become a sync flush of
    /// the deflater, which would end a compressed block every few rows.
    /// </summary>
    private sealed class IgnoresFlush(Stream inner) : Stream
    {
        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
        public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);

        public override void Flush()
        {
        }

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
