#!/usr/bin/python3
"""make-demo.py - write examples/maildir from the readable thread sources below.

The demo mailbox is the shared service mailbox of 华东净水科技 (a fictional
water-purifier maker): customers' mail in cur/ and new/, the agents' replies
in the Maildir++ Sent folder .Sent/cur/, as a mail client leaves them.

Every name, address, order number and phone number here is invented; the
domains are under the reserved .example TLD (hdjs.example.cn for the company).

Run with the system Python (stdlib only), from anywhere:

    /usr/bin/python3 examples/make-demo.py            # rewrite the Maildir
    /usr/bin/python3 examples/make-demo.py --check    # only validate it

The output is deterministic (no clock, no randomness), so it is committed and
regenerating it gives a clean diff.  After writing, every message is parsed
back with the email package and checked: charsets round-trip, encoded words
decode, In-Reply-To targets exist and were delivered earlier, delivery times
lie in 2026-11-02 .. 2026-11-24 Asia/Shanghai, and each thread's clocks come
out as its "expect" line says.  Finally an independent re-computation of the
S14 tally (a second opinion on the hand computation in README.md) is
compared with tests/expected/demo-2026-11.csv.
"""

import base64
import datetime
import email
import email.policy
import email.utils
import hashlib
import os
import quopri
import shutil
import subprocess
import sys
import zoneinfo

HERE = os.path.dirname(os.path.abspath(__file__))
MAILDIR = os.path.join(HERE, "maildir")
EXPECTED_CSV = os.path.join(HERE, "..", "tests", "expected", "demo-2026-11.csv")

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
RANGE_START = datetime.datetime(2026, 11, 2, 0, 0, 0, tzinfo=TZ)
RANGE_END = datetime.datetime(2026, 11, 25, 0, 0, 0, tzinfo=TZ)

SERVICE = ("华东净水科技售后服务", "service@hdjs.example.cn")

# The config (examples/slaclock.conf) must agree with these.
AGENTS = {
    "wang.fang": ("王芳", "wang.fang@hdjs.example.cn", "aftersales-1", "售后一组"),
    "li.qiang": ("李强", "li.qiang@hdjs.example.cn", "aftersales-1", "售后一组"),
    "chen.jing": ("陈静", "chen.jing@hdjs.example.cn", "aftersales-1", "售后一组"),
    "zhao.min": ("赵敏", "zhao.min@hdjs.example.cn", "aftersales-2", "售后二组"),
    "sun.hao": ("孙浩", "sun.hao@hdjs.example.cn", "aftersales-2", "售后二组"),
}
TEAM_ORDER = ["aftersales-1", "aftersales-2"]
DEFAULT_AGENT = {"aftersales-1": "chen.jing@hdjs.example.cn",
                 "aftersales-2": "zhao.min@hdjs.example.cn"}
PRELIMINARY_MARKERS = ["【初步方案】", "#preliminary"]
RESOLVED_MARKERS = ["【已解决】", "#resolved"]
SEVERITY_PCT = {"low": 5, "normal": 10, "high": 15, "critical": 20}

CUSTOMERS = {
    "zhangwei": ("张伟", "zhangwei_1988@qq.example"),
    "liuyang": ("刘洋", "liuyang_sh@163.example"),
    "huangli": ("黄丽", "huangli@corp.example"),
    "wujun": ("吴军", "wujun77@foxmail.example"),
    "emily": ("Emily Carter", "emily.carter@gmail.example"),
    "machao": ("马超", "machao@126.example"),
    "guojing": ("郭静", "guojing_gz@qq.example"),
    "david": ("David Lee", "david.lee@outlook.example"),
    "linfeng": ("林峰", "linfeng@foxmail.example"),
    "john": ("John Miller", "john.miller@gmail.example"),
    "xuming": ("徐明", "xuming@163.example"),
    "yangfan": ("杨帆", "yangfan@qq.example"),
    "zhoujl": ("周经理", "zhou.jl@restaurant.example"),
    "qianfang": ("钱芳", "qianfang@126.example"),
    "mike": ("Mike Brown", "mike.brown@gmail.example"),
    "liumin": ("刘敏", "liu.min@163.example"),
    "songtao": ("宋涛", "songtao@foxmail.example"),
}

# How each mail client writes: reply prefix, quote style, X-Mailer,
# Message-ID shape, default charset and transfer encoding.
CLIENTS = {
    "foxmail": dict(prefix="回复：", quote="foxmail", mailer="Foxmail 7.2.25.228[cn]",
                    charset="gbk", cte="base64"),
    "qqmail": dict(prefix="回复：", quote="foxmail", mailer="QQMail 2.x",
                   charset="gbk", cte="base64", alternative=True),
    "netease": dict(prefix="Re:", quote="netease", mailer="Coremail Webmail Server Version XT5.0.14",
                    charset="gbk", cte="base64"),
    "outlook": dict(prefix="答复: ", quote="outlook", mailer="Microsoft Outlook 16.0",
                    charset="gb2312", cte="base64"),
    "outlook-en": dict(prefix="RE: ", quote="outlook-en", mailer="Microsoft Outlook 16.0",
                       charset="utf-8", cte="quoted-printable"),
    "gmail": dict(prefix="Re: ", quote="gmail", mailer=None, charset="utf-8", cte="quoted-printable"),
    "thunderbird": dict(prefix="Re: ", quote="plain", mailer=None, charset="utf-8", cte="8bit",
                        user_agent="Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Thunderbird/115.4.1"),
    "autoreply": dict(prefix="自动回复: ", quote=None, mailer=None, charset="utf-8", cte="base64"),
}

SIGNATURE = "-- \n{name}\n华东净水科技 {team_zh}\n服务热线：400-000-0000（示例号码）\n"
SIGNATURE_EN = "-- \n{name} ({pinyin})\nAfter-sales service, HDJS Water Purification\nHotline: 400-000-0000 (example)\n"


def M(when, who, body, **kw):
    """One message of a thread: local delivery time, sender key, new text."""
    d = dict(when=when, who=who, body=body)
    d.update(kw)
    return d


# ---------------------------------------------------------------------------
# The threads.  "assign" is the X-Assigned-To the company's mail gateway
# stamps on a customer's first message when its routing rule knows the
# product line; "priority" the X-Ticket-Priority its keyword rule stamps.
# "expect" is what the generator checks the timings against:
#   fr / prelim / res = met | miss, each clock's responsible agent.
# ---------------------------------------------------------------------------
THREADS = [
    dict(id="T01", customer="zhangwei", agent="wang.fang", client="qqmail", charset="utf-8",
         subject="净水器滤芯提示灯一直闪红灯", assign="wang.fang",
         expect=dict(fr="met", prelim="met", res="met"),
         msgs=[
             M("2026-11-02 09:12:05", "customer",
               "你好，\n\n我家的 RO-600 净水器从前天开始滤芯提示灯一直闪红灯，"
               "可是滤芯上个月才换过。请问是哪里出了问题？\n\n张伟"),
             M("2026-11-02 09:25:40", "agent",
               "张先生您好：\n\n【初步方案】更换滤芯后需要手动复位寿命计数：请在通电状态下长按"
               "面板上的「复位」键 5 秒，听到“嘀”一声后松开，红灯即会熄灭。\n\n"
               "如果复位后仍然闪烁，请回复本邮件告诉我们，我们安排师傅上门检查。",
               client="foxmail", charset="utf-8"),
             M("2026-11-02 10:40:12", "customer",
               "按你说的复位了，红灯已经灭了，谢谢！\n顺便问一下，下次换滤芯大概是什么时候？"),
             M("2026-11-02 10:52:30", "agent",
               "张先生您好：\n\n很高兴问题已经解决。PP 棉滤芯建议每 6 个月更换一次，"
               "反渗透膜约 24 个月，到期前机器会提前亮黄灯提醒。\n\n【已解决】本次问题我们先关闭，"
               "之后有任何问题欢迎随时来信。",
               client="foxmail", charset="utf-8"),
         ]),
    dict(id="T02", customer="liuyang", agent="wang.fang", client="netease",
         subject="RO-600出水越来越慢", assign="wang.fang",
         expect=dict(fr="miss", prelim="met", res="met"),
         msgs=[
             M("2026-11-04 14:00:00", "customer",
               "您好：\n\n家里的RO-600用了八个月，最近出水越来越慢，接满一杯水要一分多钟。"
               "请问是不是要换滤芯了？\n\n刘洋"),
             M("2026-11-04 14:30:01", "agent",
               "刘先生您好：\n\n【初步方案】请先检查进水角阀是否完全打开，并确认家里自来水压力"
               "正常（其他水龙头出水是否也偏小）。如果进水正常，多半是反渗透膜堵塞，"
               "在保修期内可以免费更换。",
               client="foxmail", charset="utf-8"),
             M("2026-11-04 19:20:00", "customer",
               "角阀是全开的，别的水龙头也正常，出水还是很慢。麻烦安排师傅吧。"),
             M("2026-11-05 16:30:00", "agent",
               "刘先生您好：\n\n师傅今天上午已经上门为您免费更换了反渗透膜，现场测试出水恢复正常。\n\n"
               "【已解决】如后续仍有问题，直接回复本邮件即可。",
               client="foxmail", charset="gbk"),
         ]),
    dict(id="T03", customer="huangli", agent="wang.fang", client="outlook",
         subject="预约安装已经三天了，师傅一直没来", assign="wang.fang",
         expect=dict(fr="miss", prelim="met", res="met"),
         msgs=[
             M("2026-11-06 20:15:30", "customer",
               "你好，\n\n我11月3日在官方商城买的净水器，当天就预约了安装，"
               "到现在三天了没有任何师傅联系我。请尽快处理。\n\n黄丽"),
             M("2026-11-06 21:07:10", "agent",
               "黄女士您好：\n\n非常抱歉让您久等了。您所在区域的安装单被错派到了别的网点，"
               "我已经联系区域主管，明天上午九点前给您确认上门时间。",
               client="foxmail", charset="utf-8"),
             M("2026-11-07 09:30:00", "agent",
               "黄女士您好：\n\n【初步方案】已为您改约到 11 月 8 日（周日）下午 2 点，由本地网点的"
               "师傅上门安装，安装前半小时师傅会电话联系您。",
               client="foxmail", charset="utf-8", reply_to=1),
             M("2026-11-08 18:40:00", "customer",
               "师傅今天已经装好了，试了一下出水正常，谢谢。"),
             M("2026-11-08 19:05:00", "agent",
               "黄女士您好：\n\n感谢确认！【已解决】这次安装延误给您添了麻烦，再次致歉。",
               client="foxmail", charset="utf-8"),
         ]),
    dict(id="T04", customer="wujun", agent="wang.fang", client="foxmail",
         subject="净水器出水有一股塑料味", assign="wang.fang",
         expect=dict(fr="miss", prelim="met", res="met"),
         msgs=[
             M("2026-11-09 08:03:12", "customer",
               "你好：\n\n上周装的净水器，出来的水有一股明显的塑料味，家里老人不敢喝。"
               "这个正常吗？\n\n吴军"),
             M("2026-11-09 08:04:12", "autoreply",
               "您好,您的邮件已收到。\n\n我们会在工作时间尽快处理您的问题，请勿直接回复本邮件。\n\n"
               "华东净水科技 售后服务"),
             M("2026-11-09 08:44:50", "agent",
               "吴先生您好：\n\n新机前几天出水有轻微味道属于正常现象，来自新滤芯和管路。\n\n"
               "【初步方案】请先连续放水 5 分钟冲洗管路；如果一两天后仍有味道，"
               "我们免费给您寄一支新的后置活性炭滤芯。",
               client="foxmail", charset="gbk", reply_to=0),
             M("2026-11-10 12:10:00", "customer",
               "冲洗以后好一些，但还是有一点味道。麻烦把新滤芯寄过来吧，地址不变。"),
             M("2026-11-10 16:20:00", "agent",
               "吴先生您好：\n\n新的后置活性炭滤芯已由同城快递送到，快递员已按说明帮您换上并放水冲洗，"
               "现场试饮无异味。\n\n【已解决】如还有味道请随时联系我们。",
               client="foxmail", charset="gbk"),
         ]),
    dict(id="T05", customer="emily", agent="wang.fang", client="gmail",
         subject="How do I order replacement filters?", assign="wang.fang",
         date_lag=40,
         expect=dict(fr="met", prelim="met", res="met"),
         msgs=[
             M("2026-11-16 10:00:00", "customer",
               "Hello,\n\nI bought an RO-600 last spring and the yellow light says the PP filter "
               "is due. Where can I order the right replacement filter, and can I fit it "
               "myself?\n\nThanks,\nEmily"),
             M("2026-11-16 10:30:00", "agent",
               "Dear Ms Carter,\n\nThe PP filter for the RO-600 is part no. F-PP600; you can order it "
               "in our online shop under \"Filters\". It is a twist-lock cartridge: turn the old "
               "one a quarter turn to the left, insert the new one, and hold the reset key for "
               "5 seconds.\n\n#resolved - I am closing this request; just reply if you need "
               "anything else.",
               client="foxmail", charset="utf-8", english=True),
             M("2026-11-16 20:15:00", "customer",
               "Thank you, ordered it just now."),
         ]),
    dict(id="T06", customer="machao", agent="li.qiang", client="netease", charset="utf-8",
         subject="购买净水器一个月了，发票还没开", assign="li.qiang",
         expect=dict(fr="miss", prelim="met", res="met"),
         msgs=[
             M("2026-11-03 11:20:00", "customer",
               "客服你好，\n\n10月初在你们官方商城买的净水器，下单时选了开增值税普通发票，"
               "到现在一个月了还没收到。订单号 HD20261002xxxx。\n\n马超"),
             M("2026-11-03 13:05:00", "agent",
               "马先生您好：\n\n抱歉耽误了您的时间。电子发票已经开具，并发送到您下单时留的邮箱，"
               "请查收。\n\n【已解决】",
               client="foxmail", charset="utf-8"),
             M("2026-11-03 13:30:00", "customer", "收到了，谢谢。"),
         ]),
    dict(id="T07", customer="guojing", agent="li.qiang", client="qqmail",
         subject="换货申请提交一周了没有进度", assign="li.qiang",
         expect=dict(fr="met", prelim="met", res="met"),
         msgs=[
             M("2026-11-05 16:40:00", "customer",
               "你好，\n\n收到的净水器面板有裂痕，10月29日就在网上提交了换货申请，"
               "到现在一点进度都没有。\n\n郭静"),
             M("2026-11-05 16:52:30", "agent",
               "郭女士您好：\n\n【初步方案】您的换货申请已审核通过，新机今天下午已经出库，"
               "快递单号 SF0000000000（示例），预计后天送达。",
               client="foxmail", charset="gbk"),
             M("2026-11-06 14:30:00", "customer", "新机收到了，完好。旧机怎么退回？"),
             M("2026-11-06 15:00:00", "agent",
               "郭女士您好：\n\n旧机不需要您寄回，明天快递员会上门取件，运费由我们承担。\n\n【已解决】",
               client="foxmail", charset="gbk"),
         ]),
    dict(id="T08", customer="david", agent="li.qiang", client="outlook-en",
         subject="Faucet on the purifier is dripping", assign="li.qiang",
         expect=dict(fr="miss", prelim="met", res="met"),
         msgs=[
             M("2026-11-10 19:30:00", "customer",
               "Hi,\n\nThe faucet of our under-sink purifier keeps dripping even when it is "
               "closed. There is a small puddle on the counter every morning.\n\nDavid Lee"),
             M("2026-11-10 20:22:00", "agent",
               "Dear Mr Lee,\n\n#preliminary Please close the inlet valve under the sink for "
               "the night; that stops the dripping. The faucet cartridge is covered by the "
               "warranty, and a technician can replace it tomorrow. Would 10:00 suit you?",
               client="foxmail", charset="utf-8", english=True),
             M("2026-11-11 09:10:00", "customer", "10:00 is fine, I will be at home."),
             M("2026-11-11 18:00:00", "agent",
               "Dear Mr Lee,\n\nThe technician replaced the faucet cartridge this morning and "
               "checked for leaks.\n\n#resolved Thank you for your patience.",
               client="foxmail", charset="utf-8", english=True),
         ]),
    dict(id="T09", customer="linfeng", agent="li.qiang", client="foxmail", charset="utf-8",
         subject="保修期内上门维修还收了80元", assign="li.qiang",
         expect=dict(fr="miss", prelim="met", res="met"),
         msgs=[
             M("2026-11-12 09:05:00", "customer",
               "你好：\n\n昨天师傅上门修净水器，收了我80元上门费。机器才买了半年，"
               "说好保修期内免费的，请给个说法。\n\n林峰"),
             M("2026-11-12 09:50:00", "agent",
               "林先生您好：\n\n【初步方案】保修期内上门服务不收任何费用。我们正在和网点核实，"
               "如确认属于保修范围，80元会全额原路退还。",
               client="foxmail", charset="utf-8"),
             M("2026-11-13 11:30:00", "agent",
               "林先生您好：\n\n已核实是网点收费错误，80元已原路退回您的支付账户，"
               "网点也已被通报处理。\n\n【已解决】",
               client="foxmail", charset="utf-8"),
             M("2026-11-13 12:02:00", "customer", "退款收到了，谢谢处理。"),
         ]),
    dict(id="T10", customer="john", agent="chen.jing", client="gmail",
         subject="Charged twice for the filter subscription", assign="chen.jing",
         expect=dict(fr="met", prelim="met", res="met"),
         msgs=[
             M("2026-11-03 22:10:00", "customer",
               "Hello,\n\nMy credit card statement shows two charges of 399 yuan for the "
               "November filter subscription. Please refund one of them.\n\nJohn Miller"),
             M("2026-11-03 22:31:00", "agent",
               "Dear Mr Miller,\n\nSorry about that. #preliminary The duplicate charge has "
               "been found and a refund of 399 yuan is on its way; it usually takes 3-5 "
               "working days to show up on the card.",
               client="foxmail", charset="utf-8", english=True),
             M("2026-11-05 09:40:00", "customer", "I can see the refund now, thanks."),
             M("2026-11-05 10:00:00", "agent",
               "Dear Mr Miller,\n\nThank you for confirming. #resolved",
               client="foxmail", charset="utf-8", english=True),
         ]),
    dict(id="T11", customer="xuming", agent="chen.jing", client="netease",
         subject="TDS笔测出来纯水有45，正常吗", assign="chen.jing",
         expect=dict(fr="met", prelim="met", res="met"),
         msgs=[
             M("2026-11-18 13:00:00", "customer",
               "你好，\n\n用TDS笔测了一下净水器出的纯水，读数是45，说明书上说应该在20以下。"
               "是不是机器有问题？\n\n徐明"),
             M("2026-11-18 13:20:00", "agent",
               "徐先生您好：\n\n【初步方案】机器停用几个小时后，前几杯水的TDS会偏高。请先放水"
               "两分钟再测；如果仍高于20，我们安排检测反渗透膜。",
               client="foxmail", charset="utf-8"),
             M("2026-11-19 08:30:00", "customer", "放水以后再测是12，看来没问题。"),
             M("2026-11-19 09:00:00", "agent",
               "徐先生您好：\n\n12属于正常范围，请放心饮用。\n\n【已解决】",
               client="foxmail", charset="utf-8"),
         ]),
    dict(id="T12", customer="yangfan", agent=None, client="qqmail",
         subject="净水器接头漏水，厨房地板都泡了", priority="high",
         expect=dict(fr="miss", prelim="miss", res="miss"),
         msgs=[
             M("2026-11-20 23:40:00", "customer",
               "你好！！\n\n晚上回家发现净水器下面的接头在漏水，厨房地板都泡了。已经把总阀关了，"
               "请尽快派人来修！\n\n杨帆", folder="new"),
             M("2026-11-22 09:00:00", "customer",
               "两天了都没有人回复？到底有没有人管？", folder="new"),
         ]),
    dict(id="T13", customer="zhoujl", agent="zhao.min", client="outlook", charset="utf-8",
         cte="quoted-printable",
         subject="店里商用净水机停机，影响营业", assign="zhao.min", priority="high",
         expect=dict(fr="met", prelim="met", res="miss"),
         msgs=[
             M("2026-11-13 15:00:00", "customer",
               "你好，\n\n我们餐厅后厨的商用净水机 CR-3000 今天中午突然停机，屏幕显示 E7，"
               "重启也没用。现在只能买桶装水，影响营业，请尽快处理。\n\n周经理"),
             M("2026-11-13 15:09:00", "agent",
               "周经理您好：\n\n已收到，商用机故障我们优先处理。工程师会在一小时内电话联系您。",
               client="foxmail", charset="utf-8"),
             M("2026-11-13 20:00:00", "agent",
               "周经理您好：\n\n【初步方案】工程师已远程确认是主板故障。今晚先为您接临时旁路供水，"
               "保证明天正常营业；新主板已从工厂调货。",
               client="foxmail", charset="utf-8", reply_to=1),
             M("2026-11-15 10:30:00", "customer", "旁路能用。主板什么时候能到？我们不能一直这样。"),
             M("2026-11-16 16:00:00", "agent",
               "周经理您好：\n\n新主板今天下午已经更换完毕，设备恢复正常运行，旁路已拆除。"
               "配件调货比预计晚了一天，非常抱歉。\n\n【已解决】",
               client="foxmail", charset="utf-8"),
         ]),
    dict(id="T14", customer="qianfang", agent="zhao.min", client="netease", charset="utf-8",
         subject="想再加装一台，有没有老客户优惠", assign="zhao.min",
         expect=dict(fr="met", prelim="met", res="met"),
         msgs=[
             M("2026-11-23 10:15:00", "customer",
               "你好，\n\n厨房那台用得不错，想给卫生间再加装一台小的，老客户有没有优惠？\n\n钱芳"),
             M("2026-11-23 10:35:00", "agent",
               "钱女士您好：\n\n感谢您的信任！老客户在官方商城购买任一机型可享九折，"
               "下单时备注原机序列号即可，安装免费。\n\n【已解决】",
               client="foxmail", charset="utf-8"),
             M("2026-11-23 11:02:00", "customer", "好的，已经下单了。", folder="new"),
         ]),
    dict(id="T15", customer="mike", agent="sun.hao", client="gmail",
         subject="Purifier display shows E3", assign="sun.hao",
         expect=dict(fr="met", prelim="met", res="met"),
         msgs=[
             M("2026-11-07 09:00:00", "customer",
               "Hi,\n\nSince this morning the display of my purifier shows E3 and no water "
               "comes out. What does E3 mean?\n\nMike"),
             M("2026-11-07 09:18:00", "agent",
               "Dear Mr Brown,\n\n#preliminary E3 means the inlet pressure is too low. Please "
               "check that the angle valve under the sink is fully open and that the water "
               "supply of the building is on.",
               client="foxmail", charset="utf-8", english=True),
             M("2026-11-07 18:45:00", "customer",
               "The valve was half closed (the cleaner must have bumped it). Fully open now "
               "and E3 is gone."),
             M("2026-11-08 14:00:00", "agent",
               "Dear Mr Brown,\n\nGood to hear. #resolved",
               client="foxmail", charset="utf-8", english=True),
         ]),
    dict(id="T16", customer="liumin", agent="sun.hao", client="netease", charset="utf-8",
         subject="收到的滤芯型号不对", assign="sun.hao",
         expect=dict(fr="met", prelim="miss", res="met"),
         msgs=[
             M("2026-11-17 09:30:00", "customer",
               "你好，\n\n昨天收到你们寄来的替换滤芯，型号是 F-CB400，可我的机器是 RO-600，"
               "根本装不上。\n\n刘敏"),
             M("2026-11-17 09:44:00", "agent",
               "刘女士您好：\n\n已收到，我马上和仓库核实发货记录，稍后回复您。",
               client="thunderbird"),
             M("2026-11-17 14:10:00", "customer",
               "早上打电话，你们客服说今天会先给我一个【初步方案】，到现在还没消息。"),
             M("2026-11-17 15:00:00", "agent",
               "刘女士您好：\n\n仓库确认是发错了型号。正确的 F-PP600 滤芯明天一早寄出，"
               "错发的那支请留着，快递员送新滤芯时一并收回。",
               client="thunderbird"),
             M("2026-11-18 15:20:00", "customer", "新滤芯收到了，型号对了，已经装上。"),
             M("2026-11-18 16:00:00", "agent",
               "刘女士您好：\n\n感谢确认，给您添麻烦了。\n\n【已解决】",
               client="thunderbird"),
         ]),
    dict(id="T17", customer="songtao", agent="sun.hao", client="foxmail",
         subject="换完滤芯后水压明显变小", assign="sun.hao",
         expect=dict(fr="met", prelim="miss", res="met"),
         msgs=[
             M("2026-11-19 10:00:00", "customer",
               "你好：\n\n上周自己换了一次滤芯，之后出水的水压明显变小了，是不是装得不对？\n\n宋涛"),
             M("2026-11-19 10:08:00", "agent",
               "宋先生您好：\n\n已收到，我先帮您查一下这批滤芯的情况。",
               client="foxmail", charset="gbk"),
             M("2026-11-19 13:00:00", "agent",
               "宋先生您好：\n\n您的问题需要工程师判断，我已转交售后二组的赵敏工程师跟进，"
               "她会直接和您联系。",
               client="foxmail", charset="gbk", assign="zhao.min", reply_to=1),
             M("2026-11-20 16:00:00", "agent",
               "宋先生您好：\n\n我是赵敏。【初步方案】从您描述看，可能是新滤芯没有旋到底，"
               "密封圈压住了进水口。请关水后把滤芯取下，重新对准卡槽旋紧到听见“咔”一声。",
               client="foxmail", charset="gbk", who_agent="zhao.min"),
             M("2026-11-21 10:20:00", "customer", "重新装了一下，水压恢复正常了，谢谢赵工。"),
             M("2026-11-21 15:00:00", "agent",
               "宋先生您好：\n\n不客气！【已解决】以后换滤芯遇到问题随时联系我们。",
               client="foxmail", charset="gbk", who_agent="zhao.min"),
         ]),
]


# ---------------------------------------------------------------------------
# Building the messages.
# ---------------------------------------------------------------------------

def local(when):
    return datetime.datetime.strptime(when, "%Y-%m-%d %H:%M:%S").replace(tzinfo=TZ)


def encode_text(text, charset):
    """Text to bytes; the Chinese legacy charsets through iconv, as the
    brief for the demo asks, cross-checked with Python's own codec."""
    if charset in ("gbk", "gb2312"):
        out = subprocess.run(["iconv", "-f", "UTF-8", "-t", charset.upper()],
                             input=text.encode("utf-8"), stdout=subprocess.PIPE,
                             check=True).stdout
        assert out == text.encode(charset), "iconv and python disagree on " + charset
        return out
    return text.encode(charset)


def encoded_word(text, charset):
    """RFC 2047 B-encoded words, each at most 75 characters, folded."""
    if all(ord(c) < 128 for c in text):
        return text
    label = {"gbk": "GBK", "gb2312": "gb2312", "utf-8": "UTF-8"}[charset]
    words, chunk = [], ""
    for c in text:
        trial = chunk + c
        if len("=?%s?B?%s?=" % (label, base64.b64encode(encode_text(trial, charset)).decode())) > 75:
            words.append(chunk)
            chunk = c
        else:
            chunk = trial
    if chunk:
        words.append(chunk)
    return "\n ".join("=?%s?B?%s?=" % (label, base64.b64encode(encode_text(w, charset)).decode())
                      for w in words)


def address(name, addr, charset):
    if all(ord(c) < 128 for c in name):
        return '"%s" <%s>' % (name, addr)
    return "%s <%s>" % (encoded_word(name, charset), addr)


def transfer_encode(data, cte):
    if cte == "base64":
        b = base64.b64encode(data).decode()
        return "\n".join(b[i:i + 76] for i in range(0, len(b), 76)) + "\n"
    if cte == "quoted-printable":
        return quopri.encodestring(data).decode("ascii")
    return data.decode("utf-8") if cte == "8bit" else data.decode("ascii")


def message_id(thread, idx, domain, shape, sent):
    h = hashlib.sha1(("%s.%d" % (thread, idx)).encode()).hexdigest()
    if shape == "qqmail":
        return "tencent_%s@qq.example" % h[:24].upper()
    if shape == "netease":
        return "%s.%s.%s@%s" % (h[:8], h[8:12], h[12:20], domain)
    if shape in ("outlook", "outlook-en"):
        return "000001d9%s$%s$%s@%s" % (h[:8], h[8:16], h[16:24], domain)
    if shape == "gmail":
        return "CAM%s=%s@mail.gmail.example" % (h[:20], h[20:30])
    if shape == "thunderbird":
        return "%s-%s-%s@hdjs.example.cn" % (h[:8], h[8:12], h[12:24])
    return "%s%07d@%s" % (sent.strftime("%Y%m%d%H%M%S"), int(h[:8], 16) % 10000000, domain)  # Foxmail


WEEKDAY_ZH = "一二三四五六日"


def zh_time(dt):
    ampm = "上午" if dt.hour < 12 else "下午"
    h = dt.hour if dt.hour <= 12 else dt.hour - 12
    return "%d年%d月%d日(星期%s) %s%d:%02d" % (dt.year, dt.month, dt.day,
                                          WEEKDAY_ZH[dt.weekday()], ampm, h, dt.minute)


def quote_block(style, parent):
    """The quoted part a client appends under the reply."""
    p = parent
    sent = p["date"]
    text = p["fulltext"].rstrip("\n")
    gt = "\n".join(("> " + l) if l else ">" for l in text.split("\n"))
    if style == "foxmail":
        return ("\n\n------------------ 原始邮件 ------------------\n"
                "发件人: \"%s\"<%s>;\n发送时间: %s\n收件人: \"%s\"<%s>;\n主题: %s\n\n%s\n"
                % (p["from_name"], p["from_addr"], zh_time(sent), p["to_name"], p["to_addr"],
                   p["subject"], text))
    if style == "netease":
        return ("\n\n在 %s，\"%s\" <%s> 写道：\n%s\n"
                % (sent.strftime("%Y-%m-%d %H:%M:%S"), p["from_name"], p["from_addr"], gt))
    if style == "outlook":
        return ("\n\n-----原始邮件-----\n发件人: %s [mailto:%s]\n发送时间: %s\n收件人: %s\n主题: %s\n\n%s\n"
                % (p["from_name"], p["from_addr"],
                   "%d年%d月%d日 %d:%02d" % (sent.year, sent.month, sent.day, sent.hour, sent.minute),
                   p["to_addr"], p["subject"], text))
    if style == "outlook-en":
        return ("\n\n-----Original Message-----\nFrom: %s <%s>\nSent: %s\nTo: %s\nSubject: %s\n\n%s\n"
                % (p["from_name"], p["from_addr"], sent.strftime("%A, %B %d, %Y %I:%M %p"),
                   p["to_addr"], p["subject"], text))
    if style == "gmail":
        return ("\n\nOn %s %s <%s> wrote:\n\n%s\n"
                % (sent.strftime("%a, %b %d, %Y at %I:%M %p").replace(" 0", " "),
                   p["from_name"], p["from_addr"], gt))
    if style == "plain":
        return ("\n\n在 %s, %s 写道:\n%s\n" % (sent.strftime("%Y/%m/%d %H:%M"), p["from_name"], gt))
    raise ValueError(style)


def plain_to_html(text):
    esc = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return ("<html><head><meta charset=\"{cs}\"></head><body><div>"
            + esc.replace("\n", "<br>\n") + "</div></body></html>\n")


def build():
    """Every message as a dict (headers rendered, bytes ready)."""
    out = []
    seq = 0
    for t in THREADS:
        cust_name, cust_addr = CUSTOMERS[t["customer"]]
        cust_domain = cust_addr.split("@")[1]
        msgs = []
        for i, m in enumerate(t["msgs"]):
            seq += 1
            who = m["who"]
            delivered = local(m["when"])
            if who == "customer":
                client = t["client"]
                from_name, from_addr = cust_name, cust_addr
                to_name, to_addr = SERVICE
                domain = cust_domain
                lag = t.get("date_lag", 7 + (seq * 13) % 29)
            else:
                client = "autoreply" if who == "autoreply" else m.get("client", "foxmail")
                akey = m.get("who_agent", t["agent"])
                from_name, from_addr = AGENTS[akey][0], AGENTS[akey][1]
                to_name, to_addr = cust_name, cust_addr
                domain = "hdjs.example.cn"
                lag = 2
            c = CLIENTS[client]
            charset = m.get("charset", t.get("charset", c["charset"])) if who == "customer" \
                else m.get("charset", c["charset"])
            if who == "customer" and client in ("outlook-en", "gmail"):
                charset = c["charset"]
            cte = m.get("cte", t.get("cte", c["cte"])) if who == "customer" else m.get("cte", c["cte"])
            if charset in ("gbk", "gb2312") and cte in ("8bit", "7bit"):
                cte = "base64"
            if charset == "utf-8" and cte == "7bit":
                cte = "quoted-printable"
            sent = delivered - datetime.timedelta(seconds=lag)

            parent = None
            if i > 0:
                parent = msgs[m["reply_to"]] if "reply_to" in m else msgs[-1]
            if who == "autoreply":
                parent = msgs[0]

            subject = t["subject"] if parent is None else c["prefix"] + t["subject"]
            new_text = m["body"]
            if who == "agent":
                akey = m.get("who_agent", t["agent"])
                name, _, _, team_zh = AGENTS[akey]
                sig = (SIGNATURE_EN.format(name=name, pinyin=akey.replace(".", " ").title())
                       if m.get("english") else SIGNATURE.format(name=name, team_zh=team_zh))
                new_text = new_text.rstrip("\n") + "\n\n" + sig
            else:
                new_text = new_text.rstrip("\n") + "\n"
            fulltext = new_text
            if parent is not None and c["quote"]:
                fulltext = new_text + "\n" + quote_block(c["quote"], parent).lstrip("\n")

            mid = message_id(t["id"], i, domain, client if who == "customer" else
                             ("thunderbird" if client == "thunderbird" else "foxmail"), sent)
            refs = []
            if parent is not None:
                refs = parent["references"] + [parent["message_id"]]

            h = []
            if who == "customer":
                h.append("Return-Path: <%s>" % from_addr)
                h.append("Delivered-To: %s" % SERVICE[1])
                h.append("Received: from mx.%s (mx.%s [192.0.2.%d])\n\tby mx.hdjs.example.cn "
                         "(Postfix) with ESMTPS id 4R%07X\n\tfor <%s>; %s (CST)"
                         % (cust_domain, cust_domain, 10 + seq % 200, seq * 7919, SERVICE[1],
                            email.utils.format_datetime(delivered)))
                if i == 0 and t.get("assign"):
                    h.append("X-Assigned-To: %s" % AGENTS[t["assign"]][1])
                if i == 0 and t.get("priority"):
                    h.append("X-Ticket-Priority: %s" % t["priority"])
            if who == "agent" and m.get("assign"):
                h.append("X-Assigned-To: %s" % AGENTS[m["assign"]][1])
            h.append("Date: %s" % email.utils.format_datetime(sent))
            h.append("From: %s" % address(from_name, from_addr, charset if charset != "us-ascii" else "utf-8"))
            h.append("To: %s" % address(to_name, to_addr, charset if charset != "us-ascii" else "utf-8"))
            h.append("Subject: %s" % encoded_word(subject, charset if charset != "us-ascii" else "utf-8"))
            h.append("Message-ID: <%s>" % mid)
            if parent is not None:
                h.append("In-Reply-To: <%s>" % parent["message_id"])
                h.append("References: %s" % "\n ".join("<%s>" % r for r in refs))
            if who == "autoreply":
                h.append("Auto-Submitted: auto-replied")
                h.append("X-Auto-Response-Suppress: All")
            if c.get("mailer"):
                h.append("X-Mailer: %s" % c["mailer"])
            if c.get("user_agent"):
                h.append("User-Agent: %s" % c["user_agent"])
            h.append("MIME-Version: 1.0")

            body_bytes = encode_text(fulltext, charset)
            label = {"gbk": "GBK", "gb2312": "gb2312", "utf-8": "UTF-8", "us-ascii": "us-ascii"}[charset]
            if c.get("alternative"):
                boundary = "----=_NextPart_%s" % hashlib.sha1(mid.encode()).hexdigest()[:24].upper()
                html = plain_to_html(fulltext).replace("{cs}", label)
                h.append('Content-Type: multipart/alternative;\n\tboundary="%s"' % boundary)
                body = ("This is a multi-part message in MIME format.\n\n--%s\n"
                        "Content-Type: text/plain;\n\tcharset=\"%s\"\nContent-Transfer-Encoding: %s\n\n%s\n"
                        "--%s\nContent-Type: text/html;\n\tcharset=\"%s\"\nContent-Transfer-Encoding: %s\n\n%s\n"
                        "--%s--\n"
                        % (boundary, label, cte, transfer_encode(body_bytes, cte),
                           boundary, label, cte, transfer_encode(encode_text(html, charset), cte),
                           boundary))
            else:
                h.append('Content-Type: text/plain; charset="%s"' % label)
                h.append("Content-Transfer-Encoding: %s" % cte)
                body = transfer_encode(body_bytes, cte)
            raw = ("\n".join(h) + "\n\n" + body).encode("utf-8")

            epoch = int(delivered.timestamp())
            folder = m.get("folder", "cur" if who == "customer" else ".Sent/cur")
            if who == "autoreply":
                folder = ".Sent/cur"
            fname = "%d.M%dP%d.demo" % (epoch, seq, 4000 + seq)
            if not folder.endswith("new"):
                fname += ":2,S"
            rec = dict(thread=t["id"], idx=i, who=who, delivered=delivered, epoch=epoch,
                       date=sent, from_name=from_name, from_addr=from_addr, to_name=to_name,
                       to_addr=to_addr, subject=subject, message_id=mid, references=refs,
                       parent=parent["message_id"] if parent else None, charset=charset,
                       new_text=new_text, fulltext=fulltext, raw=raw, folder=folder, fname=fname,
                       assign=(AGENTS[t["assign"]][1] if (who == "customer" and i == 0 and t.get("assign"))
                               else AGENTS[m["assign"]][1] if m.get("assign") else None),
                       priority=t.get("priority") if (who == "customer" and i == 0) else None)
            msgs.append(rec)
        out.extend(msgs)
    return out


def write(msgs):
    if os.path.isdir(MAILDIR):
        shutil.rmtree(MAILDIR)
    for d in ("cur", "new", "tmp", ".Sent/cur", ".Sent/new", ".Sent/tmp"):
        os.makedirs(os.path.join(MAILDIR, d))
    # git keeps no empty directory; a dot file is skipped by every Maildir reader.
    for d in ("tmp", ".Sent/new", ".Sent/tmp"):
        with open(os.path.join(MAILDIR, d, ".keep"), "w") as f:
            f.write("")
    for m in msgs:
        path = os.path.join(MAILDIR, m["folder"], m["fname"])
        with open(path, "wb") as f:
            f.write(m["raw"])
        os.utime(path, (m["epoch"], m["epoch"]))


# ---------------------------------------------------------------------------
# Validation.
# ---------------------------------------------------------------------------

def fail(msg):
    print("make-demo: FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def validate(msgs):
    by_id = {}
    for m in msgs:
        path = os.path.join(MAILDIR, m["folder"], m["fname"])
        with open(path, "rb") as f:
            raw = f.read()
        if raw != m["raw"]:
            fail("%s differs from what the generator builds (run without --check)" % path)
        e = email.message_from_bytes(raw, policy=email.policy.default)
        where = "%s.%d (%s)" % (m["thread"], m["idx"], m["fname"])
        if str(e["Subject"]) != m["subject"]:
            fail("%s: subject decodes to %r" % (where, str(e["Subject"])))
        if e["From"].addresses[0].addr_spec != m["from_addr"] or \
                e["From"].addresses[0].display_name != m["from_name"]:
            fail("%s: From decodes to %r" % (where, str(e["From"])))
        part = e.get_body(preferencelist=("plain",))
        if part.get_content_charset() != m["charset"]:
            fail("%s: charset %s" % (where, part.get_content_charset()))
        if part.get_content() != m["fulltext"]:
            fail("%s: body does not round-trip through %s" % (where, m["charset"]))
        if m["charset"] in ("gbk", "gb2312"):
            # The bytes really are the legacy charset, not UTF-8 in disguise.
            payload = part.get_payload(decode=True)
            try:
                payload.decode("utf-8")
                fail("%s: %s body is valid UTF-8" % (where, m["charset"]))
            except UnicodeDecodeError:
                pass
        mid = e["Message-ID"].strip("<> ")
        if mid in by_id:
            fail("%s: duplicate Message-ID" % where)
        if m["parent"]:
            irt = e["In-Reply-To"].strip("<> ")
            if irt not in by_id:
                fail("%s: In-Reply-To %s not delivered before it" % (where, irt))
            if by_id[irt]["epoch"] >= m["epoch"]:
                fail("%s: parent not earlier" % where)
            refs = str(e["References"]).split()
            if refs[-1].strip("<>") != irt:
                fail("%s: References does not end with In-Reply-To" % where)
        if not (RANGE_START <= m["delivered"] < RANGE_END):
            fail("%s: delivered %s outside the demo's range" % (where, m["delivered"]))
        if int(m["fname"].split(".")[0]) != m["epoch"]:
            fail("%s: file name time" % where)
        by_id[mid] = m
    return by_id


def has_marker(text, markers):
    low = text.lower()
    return any(mk.lower() in low for mk in markers)


def clocks(msgs):
    """Per thread: start, stops, owners - the rules of plugin/sla.h applied
    to the messages, independently of the C engine."""
    res = []
    by_thread = {}
    for m in sorted(msgs, key=lambda x: x["epoch"]):
        by_thread.setdefault(m["thread"], []).append(m)
    targets = {"fr": 1800, "prelim": 86400, "res": 259200}
    for t in THREADS:
        ms = by_thread[t["id"]]
        cust = [m for m in ms if m["who"] == "customer"]
        start = cust[0]["epoch"]
        sev = cust[0]["priority"] or "normal"
        agent_msgs = [m for m in ms if m["who"] == "agent"]
        stop = {}
        fr = [m["epoch"] for m in agent_msgs]
        stop["fr"] = fr[0] if fr else None
        r = [m["epoch"] for m in agent_msgs if has_marker(m["new_text"], RESOLVED_MARKERS)]
        stop["res"] = r[0] if r else None
        p = [m["epoch"] for m in agent_msgs if has_marker(m["new_text"], PRELIMINARY_MARKERS)]
        cand = [x for x in (p[0] if p else None, stop["res"]) if x is not None]
        stop["prelim"] = min(cand) if cand else None
        assigns = [(m["epoch"], m["assign"]) for m in ms if m["assign"]]

        def owner(at):
            a = [who for (tm, who) in assigns if tm <= at]
            if a:
                return a[-1]
            rep = [m["from_addr"] for m in agent_msgs if m["epoch"] <= at]
            if rep:
                return rep[-1]
            return DEFAULT_AGENT[TEAM_ORDER[0]]
        out = dict(id=t["id"], start=start, severity=sev)
        for k, secs in targets.items():
            dl = start + secs
            state = "met" if stop[k] is not None and stop[k] <= dl else "miss"
            out[k] = dict(state=state, deadline=dl, stop=stop[k], agent=owner(dl),
                          delta=(stop[k] - start) if stop[k] is not None else None)
            if state != t["expect"][k]:
                fail("%s: %s came out %s, meant %s" % (t["id"], k, state, t["expect"][k]))
        res.append(out)
    return res


def tally(cl):
    rows = {}

    def row(agent):
        team = next(a[2] for a in AGENTS.values() if a[1] == agent)
        return rows.setdefault(agent, dict(team=team, tickets=0, fr_met=0, fr_miss=0, p_met=0,
                                           p_miss=0, r_met=0, r_miss=0, warnings=0, streak=0, sev=0))
    for c in cl:
        for k, col in (("fr", "fr"), ("prelim", "p"), ("res", "r")):
            r = row(c[k]["agent"])
            r["%s_%s" % (col, c[k]["state"])] += 1
            if k == "fr":
                r["tickets"] += 1
                if c[k]["state"] == "miss":
                    r["warnings"] += 1
        # S14.2d: 24 h and 72 h misses stack, capped at 20% per ticket.
        pct = SEVERITY_PCT[c["severity"]]
        room = 20
        for k in ("prelim", "res"):
            if c[k]["state"] == "miss":
                take = min(pct, room)
                room -= take
                row(c[k]["agent"])["sev"] += take
    # S14.1s: per agent, decided first-response clocks by deadline.
    frs = {}
    for c in cl:
        frs.setdefault(c["fr"]["agent"], []).append((c["fr"]["deadline"], c["fr"]["state"]))
    for agent, lst in frs.items():
        run = 0
        for _, state in sorted(lst):
            run = run + 1 if state == "miss" else 0
            if run == 3:
                row(agent)["streak"] += 1
                run = 0
    lines = ["agent,team,tickets,first_response_met,first_response_missed,preliminary_met,"
             "preliminary_missed,resolution_met,resolution_missed,warnings,streak_deductions,"
             "severity_deduction_pct,total_deduction_pct"]
    for agent in sorted(rows):
        r = rows[agent]
        lines.append(",".join(str(x) for x in (
            agent, r["team"], r["tickets"], r["fr_met"], r["fr_miss"], r["p_met"], r["p_miss"],
            r["r_met"], r["r_miss"], r["warnings"], r["streak"], r["sev"],
            r["streak"] * 10 + r["sev"])))
    return "\n".join(lines) + "\n"


def hms(secs):
    if secs is None:
        return "—"
    return "%d:%02d:%02d" % (secs // 3600, secs % 3600 // 60, secs % 60)


def main():
    msgs = build()
    if "--check" not in sys.argv[1:]:
        write(msgs)
    validate(msgs)
    cl = clocks(msgs)
    folders = {}
    for m in msgs:
        folders[m["folder"]] = folders.get(m["folder"], 0) + 1
    legacy = sum(1 for m in msgs if m["charset"] in ("gbk", "gb2312"))
    print("make-demo: %d messages in %d threads (%s); %d in GBK/GB2312"
          % (len(msgs), len(THREADS), ", ".join("%s %d" % kv for kv in sorted(folders.items())),
             legacy))
    print("%-4s %-26s %-9s %-26s %-26s %-26s" % ("id", "start (Asia/Shanghai)", "priority",
                                                 "first response", "preliminary", "resolution"))
    for c in cl:
        start = datetime.datetime.fromtimestamp(c["start"], TZ).strftime("%Y-%m-%d %H:%M:%S")
        cells = ["%s %s %s" % (c[k]["state"], hms(c[k]["delta"]), c[k]["agent"].split("@")[0])
                 for k in ("fr", "prelim", "res")]
        print("%-4s %-26s %-9s %-26s %-26s %-26s" % (c["id"], start, c["severity"], *cells))
    csv = tally(cl)
    print(csv, end="")
    if os.path.exists(EXPECTED_CSV):
        with open(EXPECTED_CSV) as f:
            if f.read() != csv:
                fail("the re-computed tally differs from tests/expected/demo-2026-11.csv")
        print("make-demo: tally agrees with tests/expected/demo-2026-11.csv")


if __name__ == "__main__":
    main()
