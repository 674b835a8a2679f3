from django.http import HttpResponse

def _stub(request, *a, **k):
    return HttpResponse("")

inspection_list = inspection_edit = inspection_detail = plan_edit = plan_detail = meeting_edit = _stub
