// The platform the tests start runs on Linux only (/proc, setpriv, the postgres and rabbitmq users, /usr/bin/chromium).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
