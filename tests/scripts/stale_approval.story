# A new revision dismisses the approvals of the previous one.
:as bob
/story new title:"Meta scrambles over DeepSeek"
/story write conclusion <<END
Meta's leaders are expected to discuss the findings with investors.
END
:as carol
/story approve conclusion
:as bob
/story write conclusion <<END
Meta's leaders are expected to discuss the findings with investors at the next earnings call.
END
/story status
