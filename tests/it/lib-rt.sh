# lib-rt.sh - start a throwaway Request Tracker 5 on a free loopback port.
# Sourced by the integration tests after lib.sh; POSIX sh. Needs $T (a temp
# dir). After rt_start: RT_PORT, RT_PID, API, $R/root.token and
# $R/slaclock.token (RT's own user for slaclock's notes). rt_server_stop
# in the exit trap.

RT_SERVER=/usr/share/request-tracker5/libexec/rt-server
RT_PID=

rt_installed() {
    [ -x "$RT_SERVER" ] && [ -x /usr/sbin/rt-setup-database-5 ]
}

# rt_start HOOK_URL SECRET_FILE
rt_start() {
    R=$T/rt; mkdir -p "$R/site.d"
    RT_PORT=$(free_port)
    cat >"$R/RT_SiteConfig.pm" <<EOC
Set(\$rtname, 'test.example');
Set(\$Organization, 'test.example');
Set(\$CorrespondAddress, 'support@test.example');
Set(\$CommentAddress, 'support-comment@test.example');
Set(\$Timezone, 'UTC');
Set(\$DatabaseType, 'SQLite');
Set(\$DatabaseName, '$R/rt.db');
Set(\$WebDomain, '127.0.0.1');
Set(\$WebPort, $RT_PORT);
Set(\$WebPath, '');
Set(\$WebBaseURL, 'http://127.0.0.1:$RT_PORT');
Set(\$LogToSyslog, undef);
Set(\$LogToFile, undef);
Set(\$LogToSTDERR, 'warning');
Set(\$RestrictReferrer, 0);
Set(\$MailCommand, 'testfile');
Set(\$SLAWebhookURL, '$1');
Set(\$SLAWebhookSecret, '$(cat "$2")');
1;
EOC
    cat >"$R/acl.initialdata" <<'EOC'
@ACL = map { { GroupDomain => 'SystemInternal', GroupType => 'Everyone',
               Queue => 'General', Right => $_ } }
       qw(CreateTicket ReplyToTicket CommentOnTicket SeeQueue);
EOC
    printf password >"$R/root-password"
    RT_SITE_CONFIG="$R/RT_SiteConfig.pm" RT_SITE_CONFIG_DIR="$R/site.d"
    export RT_SITE_CONFIG RT_SITE_CONFIG_DIR
    /usr/sbin/rt-setup-database-5 --action init --skip-create --root-password-file "$R/root-password" >"$R/setup.log" 2>&1 \
        || { cat "$R/setup.log"; fail "rt-setup-database init"; }
    /usr/sbin/rt-setup-database-5 --action insert --datafile "$R/acl.initialdata" >>"$R/setup.log" 2>&1 \
        || fail "ACL insert"
    /usr/sbin/rt-setup-database-5 --action insert --datafile "$srcdir/contrib/rt-webhook-scrip.initialdata" >>"$R/setup.log" 2>&1 \
        || { cat "$R/setup.log"; fail "scrip insert"; }
    # root creates tickets; "slaclock" (our own user) posts the notes
    perl -e '
      use lib "/usr/share/request-tracker5/lib"; use RT; RT::LoadConfig(); RT::Init();
      my $root = RT::User->new(RT->SystemUser); $root->Load("root");
      my $s = RT::User->new(RT->SystemUser);
      my ($uid, $m) = $s->Create(Name => "slaclock", EmailAddress => "slaclock\@test.example", Privileged => 1);
      die "$m\n" unless $uid;
      my ($ok, $m2) = $s->PrincipalObj->GrantRight(Right => "SuperUser", Object => RT->System);
      die "$m2\n" unless $ok;
      my @agents;
      for my $a (["li.na", "li.na\@test.example"], ["wang.lei", "wang.lei\@test.example"]) {
        my $u = RT::User->new(RT->SystemUser);
        my ($aid, $am) = $u->Create(Name => $a->[0], EmailAddress => $a->[1], Privileged => 1);
        die "$am\n" unless $aid;
        # a test helpdesk: the agents may do anything, as slaclock may
        my ($rok, $rm) = $u->PrincipalObj->GrantRight(Right => "SuperUser", Object => RT->System);
        die "$rm\n" unless $rok;
        push @agents, $u;
      }
      for my $u ($root, $s, @agents) {
        my ($id, $msg, $auth) = RT::AuthToken->new(RT::CurrentUser->new($u))
            ->Create(Owner => $u->Id, Description => "slaclock it");
        die "$msg\n" unless $id; print $u->Name, " $auth\n";
      }' >"$R/tokens" 2>>"$R/setup.log" || { cat "$R/setup.log"; fail "tokens"; }
    awk '$1=="root"{printf "%s", $2}' "$R/tokens" >"$R/root.token"
    awk '$1=="slaclock"{printf "%s", $2}' "$R/tokens" >"$R/slaclock.token"
    awk '$1=="li.na"{printf "%s", $2}' "$R/tokens" >"$R/li.na.token"
    awk '$1=="wang.lei"{printf "%s", $2}' "$R/tokens" >"$R/wang.lei.token"

    rt_server_start
}

# rt_start_hooked: rt_start with its webhooks to slaclockd on HOOK_PORT (a
# free one), signed with a new random key in $T/hmac
rt_start_hooked() {
    (umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$T/hmac")
    HOOK_PORT=$(free_port)
    rt_start "http://127.0.0.1:$HOOK_PORT/webhook/rt" "$T/hmac"
}

# rt_smtp_conf DB AGENTS HELPDESK_URL [LINE...]: a slaclock.conf, on
# stdout, for slaclockd between rt_start_hooked's RT (reached at
# HELPDESK_URL) and the SMTP sink: first response in 8 s with a reminder at
# 50% (short enough for a test, long enough that the webhook is in before
# the reminder is due), alerts to lead@test.example; each LINE is added to
# [helpdesk rt], the last section.
rt_smtp_conf() {
    _rc_db=$1 _rc_agents=$2 _rc_url=$3; shift 3
    cat <<EOC
[store]
path = $_rc_db

[policy]
first_response = 8s
warn_at = 50%

[team support]
lead = lead@test.example
agents = $_rc_agents
default_agent = li.na@test.example

[smtp]
url = smtp://127.0.0.1:$SMTP_PORT
from = slaclock@test.example
alert_interval = 2s
starttls = no

[webhook]
listen = 127.0.0.1:$HOOK_PORT

[helpdesk rt]
type = rt
url = $_rc_url
token_file = $R/slaclock.token
webhook_secret_file = $T/hmac
own_user = slaclock
EOC
    for _rc_line; do echo "$_rc_line"; done
}

# Start (or restart) the RT server on $RT_PORT and wait until it answers.
rt_server_start() {
    setsid "$RT_SERVER" --host 127.0.0.1 --port "$RT_PORT" --max-workers 2 >>"$R/server.log" 2>&1 &
    RT_PID=$!
    API=http://127.0.0.1:$RT_PORT/REST/2.0
    i=0; until curl -fs -o /dev/null -H "Authorization: token $(cat "$R/root.token")" "$API/rt"; do
        i=$((i+1)); [ $i -lt 240 ] || fail "RT did not start"; kill -0 $RT_PID 2>/dev/null || fail "RT died"; sleep 0.25; done
}

# Stop the RT server, if one runs (by PID: its process group, the workers
# too; woken first, in case a test stopped it with SIGSTOP).
rt_server_stop() {
    [ -n "$RT_PID" ] || return 0
    killpg CONT "$RT_PID"
    killpg TERM "$RT_PID"
    wait "$RT_PID" 2>/dev/null || :
    RT_PID=
}

# rt_as USER ARGS...: a REST call with USER's token
rt_as() { u=$1; shift; curl -fsS -H "Authorization: token $(cat "$R/$u.token")" -H 'Content-Type: application/json' "$@"; }

rt() { curl -fsS -H "Authorization: token $(cat "$R/root.token")" -H 'Content-Type: application/json' "$@"; }

# rt_new_ticket SUBJECT: prints the new ticket's id
rt_new_ticket() {
    rt -X POST "$API/ticket" -d "{\"Queue\":\"General\",\"Subject\":\"$1\",\"Requestor\":\"zhang.wei@customer.example\",\"Content\":\"it is broken\",\"ContentType\":\"text/plain\"}" \
        | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}

# rt_comments TICKET [KEY]: the text of TICKET's comments, all of them or
# those carrying the line "slaclock-id: KEY", each followed by a newline
rt_comments() {
    /usr/bin/python3 - "$API" "$(cat "$R/root.token")" "$1" "${2:-}" <<'EOF'
import json, subprocess, sys
api, tok, ticket, key = sys.argv[1:5]
def get(path):
    return json.loads(subprocess.run(["curl", "-fsS", "-H", "Authorization: token " + tok, api + path],
                                     capture_output=True, check=True).stdout)
page = 1
while True:
    h = get("/ticket/%s/history?fields=Type&per_page=100&page=%d" % (ticket, page))
    for it in h["items"]:
        if it["Type"] != "Comment":
            continue
        for a in get("/transaction/%s/attachments?fields=Content" % it["id"])["items"]:
            text = a.get("Content") or ""
            if not key or ("slaclock-id: " + key + "\n") in text:
                sys.stdout.write(text + "\n")
    if page >= h.get("pages", 1):
        break
    page += 1
EOF
}

# rt_count_marker TICKET KEY: how many times TICKET's comments carry KEY
rt_count_marker() { rt_comments "$1" "$2" | grep -cxF "slaclock-id: $2" || :; }
