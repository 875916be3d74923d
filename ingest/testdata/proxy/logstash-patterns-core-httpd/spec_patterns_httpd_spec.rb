# encoding: utf-8
require "spec_helper"
require "logstash/patterns/core"

describe_pattern "HTTPD_COMBINEDLOG", ['legacy', 'ecs-v1'] do

  context "typical test case" do

    let(:message) { '83.149.9.216 - - [24/Feb/2015:23:13:42 +0000] "GET /presentations/logstash-monitorama-2013/images/kibana-search.png HTTP/1.1" 200 203023 "http://semicomplete.com/presentations/logstash-monitorama-2013/" "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/32.0.1700.77 Safari/537.36"'}

    it "matches" do
      if ecs_compatibility?
        expect(grok).to include(
                            "http" => {
                                "request" => {
                                    "method" => "GET",
                                    "referrer" => "http://semicomplete.com/presentations/logstash-monitorama-2013/"
                                },
                                "response" => {
                                    "body" => { "bytes" => 203023 },
                                    "status_code" => 200
                                },
                                "version"=>"1.1"
                            },
                            "source" => { "address" => "83.149.9.216" },
                            "url" => { "original" => "/presentations/logstash-monitorama-2013/images/kibana-search.png" },
                            "user_agent" => { "original" => "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/32.0.1700.77 Safari/537.36" }
                        )
      else
        expect(grok).to include(
                            'clientip' => '83.149.9.216',
                            'verb' => 'GET',
                            'request' => '/presentations/logstash-monitorama-2013/images/kibana-search.png',
                            'httpversion' => '1.1',
                            'response' => '200',
                            'bytes' => '203023',
                            'referrer' => '"http://semicomplete.com/presentations/logstash-monitorama-2013/"',
                            'agent' => '"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/32.0.1700.77 Safari/537.36"'
                        )
      end
    end

    it "does not capture 'null' fields" do
      if ecs_compatibility?
        expect(grok.keys).to_not include('user') # 'user' => 'name'
        expect(grok.keys).to_not include('apache') # apache.access.user.identity
      else
        expect(grok).to include('auth' => '-', 'ident' => '-')
      end
    end

  end

  context "email address in auth field" do

    let(:message) { '10.0.0.1 - username@example.com [07/Apr/2016:18:42:24 +0000] "GET /bar/foo/users/1/username%40example.com/authenticate?token=blargh&client_id=15 HTTP/1.1" 400 75 "" "Mozilla/5.0 (iPad; CPU OS 9_3_1 like Mac OS X) AppleWebKit/601.1.46 (KHTML, like Gecko) Version/9.0 Mobile/13E238 Safari/601.1"'}

    it "gets captured" do
      if ecs_compatibility?
        expect(grok).to include("user" => { 'name' => "username@example.com" })
      else
        expect(grok).to include("auth" => "username@example.com")
      end
    end

  end

  context 'sample OPTIONS line' do

    let(:message) { '83.149.9.216 - a.user [11/Jan/2020:23:05:27 +0100] "OPTIONS /remote.php/ HTTP/1.1" - 7908 "-" "monitoring-client (v2.2)"' }

    it 'matches' do
      if ecs_compatibility?
        expect(grok).to include("http" => hash_including("response" => hash_including("body" => { "bytes" => 7908 })))
        expect(grok).to include("http" => hash_including("request" => { "method" => "OPTIONS" }, "version" => "1.1"))
        expect(grok).to include(
                            "url" => { "original" => "/remote.php/" },
                            "user_agent" => { "original" => "monitoring-client (v2.2)" }
                        )
      else
        expect(grok).to include("verb" => "OPTIONS", 'request' => '/remote.php/', 'httpversion' => '1.1', "bytes" => '7908')
      end
    end

    it 'does not capture optional response code' do
      if ecs_compatibility?
        expect(grok['http']['response'].keys).to_not include("status_code")
      else
        expect(grok.keys).to_not include("response")
      end
    end

  end

end
