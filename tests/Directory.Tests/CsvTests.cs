using System.Text;
using TrainingPlatform.Services.Directory.Imports;
using Xunit;

namespace TrainingPlatform.Directory.Tests;

public sealed class CsvTests
{
    [Fact]
    public void Quoted_fields_keep_commas_quotes_and_line_breaks_and_records_know_their_line()
    {
        var records = Csv.Parse("身份证号,姓名,职称\r\n1,\"王,丽\",\"一级\"\"教师\"\"\"\n2,\"李\n强\",\n\n3,张敏,二级教师");

        Assert.Equal(4, records.Count);
        Assert.Equal(["1", "王,丽", "一级\"教师\""], records[1].Fields);
        Assert.Equal(["2", "李\n强", ""], records[2].Fields);
        Assert.Equal(3, records[2].Line);
        Assert.Equal(6, records[3].Line); // after the two-line record and a blank line
    }

    [Fact]
    public void A_utf8_file_with_a_byte_order_mark_and_a_gb18030_file_read_the_same()
    {
        const string text = "姓名,学科\n王丽,语文\n";
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        var utf8 = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(text)).ToArray();
        var gb18030 = Encoding.GetEncoding("GB18030").GetBytes(text);

        Assert.Equal(text, Csv.Decode(utf8));
        Assert.Equal(text, Csv.Decode(gb18030));
    }
}
